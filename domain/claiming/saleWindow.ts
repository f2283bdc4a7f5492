// When a sale takes claims: the one rule for its window, used by the decider and by the edge's
// view of a sale. The Redis decision script (writeModel/lua/decideScript.ts) holds the same rule in
// Lua, since it must run inside Redis; a property test checks the two agree at the edges.

/** What the window rule needs of a sale's terms. */
export type SaleWindowTerms = { closed: boolean; startsAt: number; endsAt: number };

export type SaleWindow = 'scheduled' | 'open' | 'closed';

/** The edge's status of a sale: its window, and within an open window whether any slot is free. */
export type SaleStatus = 'scheduled' | 'open' | 'sold_out' | 'closed';

/** Open from startsAt (inclusive) to endsAt (exclusive), unless an operator closed it early. */
export function saleWindowAt(terms: SaleWindowTerms, now: number): SaleWindow {
  if (terms.closed || now >= terms.endsAt) return 'closed';
  if (now < terms.startsAt) return 'scheduled';
  return 'open';
}

/** The status the edge shows: an open sale with no free slot reads sold out. */
export function saleStatusAt(terms: SaleWindowTerms, freeSlots: number, now: number): SaleStatus {
  const window = saleWindowAt(terms, now);
  return window === 'open' && freeSlots === 0 ? 'sold_out' : window;
}
