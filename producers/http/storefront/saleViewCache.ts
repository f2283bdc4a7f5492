// The claim route's view of a sale that refuses claims (sold out or closed), shared by the
// claims of the same few milliseconds: in a sold-out storm every claim asked Redis for the
// same sale (one Lua call each); now one read serves them all. Only refusing views are kept:
// an open sale is read afresh for every claim, so its sell-out is seen at once and no claim
// reaches Kafka after it. A closed sale stays closed; a sold-out sale may get a slot back
// when a reservation lapses, and a claim in the SALE_VIEW_TTL_MS after that is still refused
// at the edge; its transaction stays `entered`, so the user may claim again.
import { saleStatusAt } from '../../../domain/claiming/saleWindow.js';
import type { SaleStorePort, SaleView } from './saleStorePort.js';

export const SALE_VIEW_TTL_MS = 50;

type Entry = { readAt: number; view: SaleView };

export function cachedSaleReader(
  readSale: SaleStorePort['readSale'],
  ttlMs = SALE_VIEW_TTL_MS,
): (saleId: string, now: number) => Promise<SaleView | undefined> {
  const refusing = new Map<string, Entry>();

  return async (saleId, now) => {
    const kept = refusing.get(saleId);
    if (kept && now - kept.readAt < ttlMs && now >= kept.readAt) {
      // A sold-out sale still ends at its end time (a kept view is refusing: sold out or closed, never reopened).
      const { view } = kept;
      if (view.status !== 'sold_out') return view;
      const status = saleStatusAt({ closed: false, startsAt: view.startsAt, endsAt: view.endsAt }, 0, now);
      return status === view.status ? view : { ...view, status };
    }
    const view = await readSale(saleId, now);
    if (view && (view.status === 'sold_out' || view.status === 'closed')) {
      if (refusing.size > 1_000) for (const [id, e] of refusing) if (now - e.readAt >= ttlMs) refusing.delete(id);
      refusing.set(saleId, { readAt: now, view });
    } else {
      refusing.delete(saleId);
    }
    return view;
  };
}
