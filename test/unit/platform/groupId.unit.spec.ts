import { describe, expect, it } from 'vitest';
import { claimsSubscription } from '../../../consumers/claims/decisionMaker.js';
import { settlementSubscription } from '../../../consumers/expiry/settlement.js';
import { consumerGroupId } from '../../../platform/kafka/groupId.js';
import { reconciliationSubscription } from '../../../projections/reconciliation/subscription.js';
import { transactionsSubscription } from '../../../projections/transactions/consumer.js';
import { inventorySubscription } from '../../../writeModel/projector.js';

// Deployed consumer groups keep their committed offsets only under the same id: these are the
// ids in production, and changing one would make that consumer start over (or skip ahead).
describe('consumer group ids', () => {
  const subscriptions = {
    claims: claimsSubscription,
    settlement: settlementSubscription,
    inventory: inventorySubscription,
    transactions: transactionsSubscription,
    reconciliation: reconciliationSubscription,
  };

  it('keep the ids deployed groups were created with', () => {
    const ids = Object.fromEntries(Object.entries(subscriptions).map(([name, s]) => [name, consumerGroupId('', s.group)]));
    expect(ids).toEqual({
      claims: 'flashsale.claims.decisions',
      settlement: 'flashsale.expiry.settlement',
      inventory: 'flashsale.projection.inventory',
      transactions: 'flashsale.projection.transactions',
      reconciliation: 'flashsale.reconciliation',
    });
  });

  it('put the topic prefix in front, separated by a dot', () => {
    expect(consumerGroupId('t-42', claimsSubscription.group)).toBe('t-42.flashsale.claims.decisions');
    expect(consumerGroupId('t-42', reconciliationSubscription.group)).toBe('t-42.flashsale.reconciliation');
  });
});
