// What the HTTP edge uses of the Redis flash-sale store (writeModel/saleStore.ts),
// and the store's one retriable refusal (it is being rebuilt from the topics) turned into
// the edge's: 503 with Retry-After, never a 500.
import { StoreNotReadyError } from '../../../platform/errors.js';
import type { SaleStore } from '../../../writeModel/saleStore.js';
import { unavailable } from '../errors.js';

export type { Decision, SaleStatus, SaleView, TransactionView } from '../../../writeModel/saleStore.js';

export type SaleStorePort = Pick<
  SaleStore,
  | 'readSale'
  | 'reserveEntry'
  | 'recordEntry'
  | 'readTransaction'
  | 'readClaim'
  | 'markPending'
  | 'refuseAtEdge'
  | 'readDecision'
  | 'awaitDecision'
>;

function retriable<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof StoreNotReadyError) throw unavailable(err.message);
      throw err;
    }
  };
}

export function storeAtEdge(store: SaleStorePort): SaleStorePort {
  return {
    readSale: retriable(store.readSale),
    reserveEntry: retriable(store.reserveEntry),
    recordEntry: retriable(store.recordEntry),
    readTransaction: retriable(store.readTransaction),
    readClaim: retriable(store.readClaim),
    markPending: retriable(store.markPending),
    refuseAtEdge: retriable(store.refuseAtEdge),
    readDecision: retriable(store.readDecision),
    awaitDecision: retriable(store.awaitDecision),
  };
}
