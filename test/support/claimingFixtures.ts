// Events and commands of one sale's inventory, for the decider's specifications (run with
// deciderSpec.ts), its properties, and the check that the Redis scripts agree with it.
import crypto from 'node:crypto';
import { decide, type InventoryCommand, type RequestClaim } from '../../domain/claiming/decide.js';
import { evolve, initialInventory, type InventoryEvent, type SaleInventory } from '../../domain/claiming/inventory.js';
import type { EventOf } from '../../schemas/events/index.js';

export const T0 = Date.UTC(2026, 10, 27, 12);

export function saleScheduled(overrides: Partial<EventOf<'SaleScheduled'>> = {}): EventOf<'SaleScheduled'> {
  const saleId = overrides.saleId ?? 'sale-1';
  return {
    type: 'SaleScheduled',
    eventId: crypto.randomUUID(),
    occurredAt: T0 - 60_000,
    correlationId: saleId,
    causationId: null,
    saleId,
    productId: 'p-1',
    partnerId: 'demo-pay',
    stock: 3,
    priceMinor: 1999,
    currency: 'EUR',
    startsAt: T0,
    endsAt: T0 + 3_600_000,
    perUserLimit: 2,
    reservationSeconds: 300,
    challenge: 'none',
    maxOpenEntriesPerUser: null,
    shards: 1,
    ...overrides,
  };
}

export function saleClosed(saleId = 'sale-1'): EventOf<'SaleClosed'> {
  return {
    type: 'SaleClosed',
    eventId: crypto.randomUUID(),
    occurredAt: T0,
    correlationId: saleId,
    causationId: null,
    saleId,
    closedBy: 'op',
  };
}

/** A RequestClaim by `userId` on `transactionId`: one unit of sale-1, a second after it opens, unless told otherwise. */
export function claim(
  transactionId: string,
  userId: string,
  { quantity = 1, now = T0 + 1_000, saleId = 'sale-1' }: { quantity?: number; now?: number; saleId?: string } = {},
): RequestClaim {
  return { type: 'RequestClaim', transactionId, saleId, userId, quantity, claimEventId: `claim-${transactionId}`, now };
}

/** Runs commands through decide and evolve, collecting every event. */
export function run(commands: readonly InventoryCommand[], given: readonly InventoryEvent[] = []) {
  let state: SaleInventory = given.reduce(evolve, initialInventory);
  const events: InventoryEvent[] = [];
  for (const c of commands) {
    const out: InventoryEvent[] = c.type === 'RequestClaim' ? decide(c, state) : decide(c, state);
    for (const e of out) state = evolve(state, e);
    events.push(...out);
  }
  return { state, events };
}

/** The events one scenario step produces (see claimingArbitraries.ts), decided against `state`. */
export function eventsOf(
  step: { command: InventoryCommand } | { close: true } | { expireDue: number },
  state: SaleInventory,
  saleId: string,
): InventoryEvent[] {
  if ('close' in step) return [saleClosed(saleId)];
  if ('expireDue' in step) {
    const due = [...state.transactions.entries()]
      .flatMap(([tx, t]) =>
        t.decision?.type === 'ClaimGranted' && !t.ending && t.decision.expiresAt <= step.expireDue
          ? [[tx, t.decision.expiresAt] as const]
          : [],
      )
      .sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1));
    let s = state;
    const out: InventoryEvent[] = [];
    for (const [transactionId] of due) {
      for (const e of decide({ type: 'ReleaseExpired', transactionId, saleId, now: step.expireDue }, s)) {
        s = evolve(s, e);
        out.push(e);
      }
    }
    return out;
  }
  const c = step.command;
  return c.type === 'RequestClaim' ? decide(c, state) : decide(c, state);
}
