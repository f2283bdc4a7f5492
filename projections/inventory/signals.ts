// The store's announcements over Redis pub/sub, on one lazily opened subscriber connection:
// decisions as the decision-maker publishes them (after Kafka has them) and a completed
// rebuild. Waiters subscribe first and then look at the state, so nothing falls in between.
import type { Redis } from '../../platform/redis.js';
import { inventoryKeys } from './keys.js';

export type DecisionView =
  | { status: 'granted'; slotIds: string[]; expiresAt: number; quantity: number; amountMinor: number; currency: string }
  | { status: 'rejected'; reason: string };

export type StoreSignals = {
  /** Resolves once subscribed: from then on nothing published is missed. */
  subscribed(): Promise<void>;
  onDecision(listener: (transactionId: string, decision: DecisionView) => void): () => void;
  onReady(listener: (epoch: string) => void): () => void;
  close(): Promise<void>;
};

export function createStoreSignals(redis: Redis, topicPrefix: string): StoreSignals {
  const keys = inventoryKeys(topicPrefix);
  const decisionListeners = new Set<(transactionId: string, decision: DecisionView) => void>();
  const readyListeners = new Set<(epoch: string) => void>();
  let subscriber: Redis | undefined;
  let subscribing: Promise<void> | undefined;

  function dispatch(channel: string, message: string): void {
    if (channel === keys.readyChannel) {
      for (const l of readyListeners) l(message);
      return;
    }
    if (channel !== keys.decisionsChannel) return;
    const decisions = JSON.parse(message) as [string, DecisionView][];
    for (const [transactionId, decision] of decisions) for (const l of decisionListeners) l(transactionId, decision);
  }

  return {
    subscribed() {
      subscribing ??= (async () => {
        subscriber = redis.duplicate({ enableAutoPipelining: false });
        subscriber.on('message', dispatch);
        await subscriber.subscribe(keys.decisionsChannel, keys.readyChannel);
      })();
      return subscribing;
    },
    onDecision(listener) {
      decisionListeners.add(listener);
      return () => decisionListeners.delete(listener);
    },
    onReady(listener) {
      readyListeners.add(listener);
      return () => readyListeners.delete(listener);
    },
    async close() {
      subscriber?.disconnect();
      subscriber = undefined;
      subscribing = undefined;
    },
  };
}

/** What the decision-maker announces once a batch is on Kafka. */
export function decisionsMessage(decisions: readonly [string, DecisionView][]): string {
  return JSON.stringify(decisions);
}
