// A partner event for a TransactionID we never granted names no sale. It is attributed to
// the partner's sale whose window contains the partner's time for it, the window stretched
// by the reservation period (a grant at the last second may be paid that much later). If
// several overlap, the one that started last wins, then the smaller saleId: deterministic.
import type { SaleTerms } from './state.js';

export function attributeSale(sales: Iterable<SaleTerms>, partnerId: string, at: number): string | null {
  let best: SaleTerms | undefined;
  for (const s of sales) {
    if (s.partnerId !== partnerId || at < s.startsAt || at > s.endsAt + s.reservationSeconds * 1000) continue;
    if (!best || s.startsAt > best.startsAt || (s.startsAt === best.startsAt && s.saleId < best.saleId)) best = s;
  }
  return best?.saleId ?? null;
}
