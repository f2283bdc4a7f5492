// The store's announcements over Redis pub/sub, on one lazily opened subscriber connection:
// decisions as the decision-maker publishes them (after Kafka has them) and a completed
// rebuild. Waiters subscribe first and then look at the state, so nothing falls in between.
import type { Redis } from '../platform/redis.js';
import { inventoryKeys } from './keys.js';

export type DecisionView =
  | { status: 'granted'; slotIds: string[]; expiresAt: number; quantity: number; amountMinor: number; currency: string }
  | { status: 'rejected'; reason: string };

export type StoreSignals = {
  /** Resolves once subscribed: from then on nothing published is missed. */
  subscribed(): Promise<void>;
  /** Calls listener with the decision on one transaction, when announced. */
  onDecision(transactionId: string, listener: (decision: DecisionView) => void): () => void;
  onReady(listener: (epoch: string) => void): () => void;
  close(): Promise<void>;
};

export function createStoreSignals(redis: Redis, topicPrefix: string): StoreSignals {
  const keys = inventoryKeys(topicPrefix);
  // Keyed by transaction: an API process may hold thousands of waiting requests.
  const decisionListeners = new Map<string, Set<(decision: DecisionView) => void>>();
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
    for (const [transactionId, decision] of decisions) {
      const listeners = decisionListeners.get(transactionId);
      if (listeners) for (const l of [...listeners]) l(decision);
    }
  }

  return {
    subscribed() {
      if (subscribing) return subscribing;
      const connection = redis.duplicate({ enableAutoPipelining: false });
      subscriber = connection;
      connection.on('message', dispatch);
      const attempt = connection.subscribe(keys.decisionsChannel, keys.readyChannel).then(() => undefined);
      subscribing = attempt;
      // A failed subscribe (Redis away for a moment) is forgotten, so the next waiter tries
      // afresh instead of every later one failing with this cached rejection.
      attempt.catch(() => {
        if (subscribing !== attempt) return;
        subscribing = undefined;
        subscriber = undefined;
        connection.disconnect();
      });
      return attempt;
    },
    onDecision(transactionId, listener) {
      const listeners = decisionListeners.get(transactionId) ?? new Set();
      listeners.add(listener);
      decisionListeners.set(transactionId, listeners);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) decisionListeners.delete(transactionId);
      };
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
