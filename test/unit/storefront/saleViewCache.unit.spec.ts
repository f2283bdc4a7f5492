// The claim route's shared view of a refusing sale: one Redis read per sold-out or closed
// sale per few milliseconds; an open sale is read for every claim.
import { describe, expect, it } from 'vitest';
import type { SaleView } from '../../../producers/http/storefront/saleStorePort.js';
import { cachedSaleReader, SALE_VIEW_TTL_MS } from '../../../producers/http/storefront/saleViewCache.js';
import { saleStatusAt } from '../../../domain/claiming/saleWindow.js';

const T0 = 1_800_000_000_000;

function fakeStore(terms: { startsAt: number; endsAt: number; free: number; closed?: boolean }) {
  const reads: number[] = [];
  let fail = false;
  return {
    reads,
    failNext: () => (fail = true),
    terms,
    readSale: (saleId: string, now: number): Promise<SaleView | undefined> => {
      reads.push(now);
      if (fail) {
        fail = false;
        return Promise.reject(new Error('store being rebuilt'));
      }
      return Promise.resolve({
        saleId,
        productId: 'p',
        partnerId: 'demo-pay',
        status: saleStatusAt({ closed: terms.closed ?? false, startsAt: terms.startsAt, endsAt: terms.endsAt }, terms.free, now),
        stockRemaining: terms.free,
        priceMinor: 100,
        currency: 'EUR',
        startsAt: terms.startsAt,
        endsAt: terms.endsAt,
        perUserLimit: 1,
        reservationSeconds: 60,
        challenge: 'none',
      });
    },
  };
}

describe('the claim route sale view', () => {
  it('serves a sold-out sale to the claims of the same moment from one read, and reads again after the TTL', async () => {
    const store = fakeStore({ startsAt: T0 - 1000, endsAt: T0 + 60_000, free: 0 });
    const read = cachedSaleReader(store.readSale);
    expect((await read('s', T0))?.status).toBe('sold_out');
    await Promise.all([read('s', T0 + 1), read('s', T0 + SALE_VIEW_TTL_MS - 1)]);
    expect(store.reads).toEqual([T0]);
    store.terms.free = 1;
    expect((await read('s', T0 + SALE_VIEW_TTL_MS))?.status).toBe('open');
    expect(store.reads).toEqual([T0, T0 + SALE_VIEW_TTL_MS]);
  });

  it('reads an open sale for every claim, so its sell-out is seen at once', async () => {
    const store = fakeStore({ startsAt: T0 - 1000, endsAt: T0 + 60_000, free: 1 });
    const read = cachedSaleReader(store.readSale);
    expect((await read('s', T0))?.status).toBe('open');
    store.terms.free = 0;
    expect((await read('s', T0 + 1))?.status).toBe('sold_out');
    expect(store.reads).toHaveLength(2);
  });

  it('reads a scheduled sale for every claim, so it opens at its exact start', async () => {
    const store = fakeStore({ startsAt: T0 + 10, endsAt: T0 + 60_000, free: 5 });
    const read = cachedSaleReader(store.readSale);
    expect((await read('s', T0))?.status).toBe('scheduled');
    expect((await read('s', T0 + 10))?.status).toBe('open');
  });

  it('keeps a closed sale closed, and closes a sold-out one at its end time', async () => {
    const closed = fakeStore({ startsAt: T0 - 1000, endsAt: T0 + 60_000, free: 5, closed: true });
    const readClosed = cachedSaleReader(closed.readSale);
    expect((await readClosed('s', T0))?.status).toBe('closed');
    expect((await readClosed('s', T0 + 5))?.status).toBe('closed');
    expect(closed.reads).toHaveLength(1);
    const ending = fakeStore({ startsAt: T0 - 1000, endsAt: T0 + 10, free: 0 });
    const readEnding = cachedSaleReader(ending.readSale);
    expect((await readEnding('s', T0))?.status).toBe('sold_out');
    expect((await readEnding('s', T0 + 10))?.status).toBe('closed');
  });

  it('does not remember a failed read', async () => {
    const store = fakeStore({ startsAt: T0 - 1000, endsAt: T0 + 60_000, free: 0 });
    const read = cachedSaleReader(store.readSale);
    store.failNext();
    await expect(read('s', T0)).rejects.toThrow(/rebuilt/);
    expect((await read('s', T0 + 1))?.status).toBe('sold_out');
    expect(store.reads).toHaveLength(2);
  });

  it('keeps sales apart', async () => {
    const store = fakeStore({ startsAt: T0 - 1000, endsAt: T0 + 60_000, free: 0 });
    const read = cachedSaleReader(store.readSale);
    expect((await read('a', T0))?.saleId).toBe('a');
    expect((await read('b', T0))?.saleId).toBe('b');
    expect(store.reads).toHaveLength(2);
  });
});
