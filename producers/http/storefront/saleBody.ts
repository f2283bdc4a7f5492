// A sale as the storefront sees it (GET /sales/:saleId): the contract's fields, times as
// ISO-8601 UTC, plus `challenge` so a client knows whether to fetch a proof of work first.
import type { SaleView } from './saleStorePort.js';

export function saleBody(sale: SaleView) {
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
    challenge: sale.challenge,
  };
}
