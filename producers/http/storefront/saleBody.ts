// A sale as the storefront sees it (GET /sales/:saleId): the contract's fields, times as
// ISO-8601 UTC, plus `challenge` so a client knows whether to fetch a proof of work first.
import type { SaleView } from './saleStorePort.js';

/**
 * `defaultOpenEntriesCap` is MAX_OPEN_ENTRIES_PER_USER: the view shows the cap that applies to
 * the sale, its own where it has one, so a shopper need not know the edge's configuration.
 */
export function saleBody(sale: SaleView, defaultOpenEntriesCap: number) {
  return {
    saleId: sale.saleId,
    productId: sale.productId,
    status: sale.status,
    stockRemaining: sale.stockRemaining,
    priceMinor: sale.priceMinor,
    currency: sale.currency,
    startsAt: new Date(sale.startsAt).toISOString(),
    endsAt: new Date(sale.endsAt).toISOString(),
    perUserLimit: sale.perUserLimit,
    maxOpenEntriesPerUser: sale.maxOpenEntriesPerUser ?? defaultOpenEntriesCap,
    challenge: sale.challenge,
    shards: sale.shards,
  };
}
