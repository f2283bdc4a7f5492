// Typed calls of the store's Lua scripts (registered once per client with ioredis's
// defineCommand, so each runs by EVALSHA). Knows argument order and result shapes; no rules.
import type { Redis } from '../platform/redis.js';
import {
  acceptedFromTuple,
  type DecisionEvent,
  decisionFromTuple,
  encodeForFold,
  HANDED_ON,
  handedOnFromTuple,
  releaseFromTuple,
  returnedFromTuple,
  settlementOf,
  type StoreEvent,
} from './encoding.js';
import { inventoryKeys, inventoryPrefix } from './keys.js';
import { flag, txField } from './storeFormat.js';
import { edgeScripts } from './lua/edgeScripts.js';
import { type InventoryScriptName, inventoryScripts } from './lua/scripts.js';
import type { EventOf } from '../schemas/events/index.js';

type Cell = string | null;
type ScriptName = InventoryScriptName | keyof typeof edgeScripts;
type Script = (...args: (string | number)[]) => Promise<unknown>;

/** A writer's script ran, or the store refused: still rebuilding, or rebuilt under an epoch the writer has not seen. */
export type Gated<T> = { kind: 'ok'; value: T } | { kind: 'not_ready' } | { kind: 'epoch'; epoch: string };

/**
 * A claim to decide. `shard`: the sale shard whose free slots it is decided from (0 on a sale of
 * one shard); `hops`: how many times it was handed on to another shard already.
 */
export type Claim = {
  transactionId: string;
  saleId: string;
  userId: string;
  quantity: number;
  claimEventId: string;
  shard?: number;
  hops?: number;
};

/** What a batch of claims came to: decisions, and claims handed on to another shard, in claim order each. */
export type Decided = { decisions: DecisionEvent[]; handedOn: EventOf<'ClaimForwarded'>[] };

export type SettlementOutcome =
  | { outcome: 'settled' | 'again'; event: EventOf<'ReservationSettled'> }
  | { outcome: 'other_payment' | 'released' | 'rejected' | 'unknown' | 'wrong_partner'; transactionId: string };

export type FoldMode = { mode: 'live' } | { mode: 'direct' } | { mode: 'rebuild'; token: string };
export type Positioned = { event: StoreEvent; position?: { topic: string; partition: number; offset: string } };

const defined = new WeakSet<Redis>();

function gated<T>(reply: unknown, read: (rows: unknown[]) => T): Gated<T> {
  const [status, ...rows] = reply as [string, ...unknown[]];
  if (status === 'NOT_READY') return { kind: 'not_ready' };
  if (status === 'EPOCH') return { kind: 'epoch', epoch: String(rows[0]) };
  if (status !== 'OK') throw new Error(`unexpected reply from the store: ${String(status)}`);
  return { kind: 'ok', value: read(rows) };
}

export function createInventoryScripts(redis: Redis, topicPrefix: string) {
  if (!defined.has(redis)) {
    for (const [name, lua] of Object.entries({ ...inventoryScripts, ...edgeScripts })) redis.defineCommand(name, { numberOfKeys: 0, lua });
    defined.add(redis);
  }
  const p = inventoryPrefix(topicPrefix);
  const keys = inventoryKeys(topicPrefix);
  const call = (name: ScriptName, ...args: (string | number)[]) => (redis as unknown as Record<ScriptName, Script>)[name](p, ...args);

  /** Decides a batch of claims: their decisions, and the claims handed on to another shard. */
  async function decideOnShards(epoch: string, now: number, claims: readonly Claim[]): Promise<Gated<Decided>> {
    const args = claims.flatMap((c) => [
      c.transactionId,
      c.saleId,
      c.userId,
      String(c.quantity),
      c.claimEventId,
      String(c.shard ?? 0),
      String(c.hops ?? 0),
    ]);
    return gated(await call('fsDecide', epoch, String(now), ...args), (rows) => {
      const decided: Decided = { decisions: [], handedOn: [] };
      for (const row of rows as Cell[][])
        if (row[0] === HANDED_ON) decided.handedOn.push(handedOnFromTuple(row));
        else decided.decisions.push(decisionFromTuple(row));
      return decided;
    });
  }

  return {
    decideOnShards,

    /** Decides claims of sales of one shard (no claim can be handed on): their decisions, in claim order. */
    async decide(epoch: string, now: number, claims: readonly Claim[]): Promise<Gated<DecisionEvent[]>> {
      const r = await decideOnShards(epoch, now, claims);
      if (r.kind !== 'ok') return r;
      if (r.value.handedOn.length > 0) throw new Error('a claim was handed on to another shard: decide sharded sales with decideOnShards');
      return { kind: 'ok', value: r.value.decisions };
    },

    async settle(epoch: string, now: number, payments: readonly { transactionId: string; paymentEventId: string; partnerId: string }[]) {
      const args = payments.flatMap((x) => [x.transactionId, x.paymentEventId, x.partnerId]);
      return gated(await call('fsSettle', epoch, String(now), ...args), (rows) =>
        (rows as Cell[][]).map(([outcome, t, s, pay, at]): SettlementOutcome => {
          if ((outcome === 'settled' || outcome === 'again') && t && s && pay && at) {
            return { outcome, event: settlementOf(t, s, pay, Number(at)) };
          }
          return { outcome: outcome as Exclude<SettlementOutcome['outcome'], 'settled' | 'again'>, transactionId: t ?? '' };
        }),
      );
    },

    /** Releases grants due by `dueBy` (now by default), stamped `now`. */
    async releaseDue(epoch: string, now: number, limit: number, dueBy = now): Promise<Gated<EventOf<'ReservationReleased'>[]>> {
      return gated(await call('fsReleaseDue', epoch, String(now), limit, String(dueBy)), (rows) =>
        (rows as Cell[][]).map(releaseFromTuple),
      );
    },

    /** A late payment accepted: the released transaction takes free slots, if enough are free. */
    async acceptLate(
      epoch: string,
      now: number,
      a: { transactionId: string; paymentEventId: string; by: string },
    ): Promise<Gated<{ outcome: 'accepted' | 'again'; event: EventOf<'LatePaymentAccepted'> } | { outcome: 'no_unit' | 'not_released' }>> {
      return gated(await call('fsAcceptLate', epoch, String(now), a.transactionId, a.paymentEventId, a.by), ([outcome, tuple]) =>
        outcome === 'accepted' || outcome === 'again'
          ? { outcome, event: acceptedFromTuple(tuple as Cell[]) }
          : { outcome: outcome as 'no_unit' | 'not_released' },
      );
    },

    /** The payment holding a transaction's units was refunded: they go back while the sale is open. */
    async returnUnits(
      epoch: string,
      now: number,
      r: { transactionId: string; paymentEventId: string; refundEventId: string },
    ): Promise<Gated<{ outcome: 'returned' | 'again'; event: EventOf<'UnitsReturned'> } | { outcome: 'not_holding' | 'sale_over' }>> {
      return gated(
        await call('fsReturnUnits', epoch, String(now), r.transactionId, r.paymentEventId, r.refundEventId),
        ([outcome, tuple]) =>
          outcome === 'returned' || outcome === 'again'
            ? { outcome, event: returnedFromTuple(tuple as Cell[]) }
            : { outcome: outcome as 'not_holding' | 'sale_over' },
      );
    },

    /** Kafka has these releases (or returns): their slots go back to their pools, and releases leave the outbox. */
    async published(kind: 'releases' | 'returns', transactionIds: readonly string[]): Promise<void> {
      if (transactionIds.length > 0) await call(kind === 'releases' ? 'fsReleasesPublished' : 'fsReturnsPublished', ...transactionIds);
    },

    async readOutbox(limit: number): Promise<EventOf<'ReservationReleased'>[]> {
      return ((await call('fsReadOutbox', limit)) as Cell[][]).map(releaseFromTuple);
    },

    /** Folds events; 'not_ready' (or 'lock_lost' in a rebuild) means nothing was applied. */
    async apply(mode: FoldMode, events: readonly Positioned[]): Promise<'ok' | 'not_ready' | 'lock_lost'> {
      const args = events.flatMap(({ event, position }) => [
        position ? `${position.topic}:${position.partition}` : '',
        position?.offset ?? '0',
        encodeForFold(event),
      ]);
      const [status] = (await call('fsApply', mode.mode, mode.mode === 'rebuild' ? mode.token : '', ...args)) as [string];
      if (status === 'OK') return 'ok';
      if (status === 'NOT_READY') return 'not_ready';
      if (status === 'LOCK_LOST') return 'lock_lost';
      throw new Error(`unexpected reply from the store: ${status}`);
    },

    /** Deletes every key of the store but the lock, batch by batch; false if the lock was lost. */
    async clear(token: string): Promise<number | false> {
      let cursor = '0';
      let deleted = 0;
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length === 0) continue;
        const n = Number(await call('fsClear', token, ...keys));
        if (n < 0) return false;
        deleted += n;
      } while (cursor !== '0');
      return deleted;
    },

    /** Whether the state is complete under this Redis run; if not, whether it was once (a restart or failover: only a tail is missing). */
    async checkStore(): Promise<{ complete: boolean; restored: boolean }> {
      const [complete, restored] = (await call('fsCheckStore')) as [number, number];
      return { complete: complete === 1, restored: restored === 1 };
    },

    /** The next offset the store still needs from each partition it folds ("topic:partition"), from its own positions. */
    async nextOffsets(): Promise<Map<string, number>> {
      const positions = await redis.hgetall(keys.positions);
      return new Map(Object.entries(positions).map(([partition, offset]) => [partition, Number(offset) + 1]));
    },

    /** The rebuild lock, under this server run (a lock restored from another run is void); false if another rebuild holds it. */
    async lock(token: string, ttlMs: number): Promise<boolean> {
      return Number(await call('fsLock', token, ttlMs)) === 1;
    },

    async renewLock(token: string, ttlMs: number): Promise<void> {
      await call('fsRenewLock', token, ttlMs);
    },

    async unlock(token: string): Promise<void> {
      await call('fsUnlock', token);
    },

    async finishRebuild(token: string, epoch: string): Promise<boolean> {
      return Number(await call('fsFinishRebuild', token, epoch)) === 1;
    },

    async readSale(saleId: string): Promise<{ ready: boolean; free: number; terms: Record<string, string> }> {
      const [ready, free, flat] = (await call('fsReadSale', saleId)) as [number, number, string[]];
      const terms: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) terms[flat[i]!] = flat[i + 1]!;
      return { ready: ready === 1, free, terms };
    },

    /** A transaction's fields, read in one step with whether the store is complete. */
    async readTransaction(transactionId: string): Promise<{ complete: boolean; fields: Record<string, string> }> {
      const [complete, flat] = (await call('fsReadTransaction', transactionId)) as [number, string[]];
      return { complete: complete === 1, fields: pairs(flat) };
    },

    /**
     * The claim route's read: a transaction's fields with whether the store is complete, and
     * the sale's free count and terms while the transaction may still be claimed a first time.
     */
    async readClaim(
      transactionId: string,
      saleId: string,
    ): Promise<{ complete: boolean; fields: Record<string, string>; sale?: { free: number; terms: Record<string, string> } }> {
      const [complete, flat, free, saleFlat] = (await call('fsReadClaim', transactionId, saleId)) as [number, string[], number?, string[]?];
      const fields = pairs(flat);
      return { complete: complete === 1, fields, ...(saleFlat && { sale: { free: free ?? 0, terms: pairs(saleFlat) } }) };
    },

    async recordEntry(transactionId: string, saleId: string, userId: string): Promise<void> {
      await call('fsRecordEntry', transactionId, saleId, userId);
    },

    /**
     * Two plain commands in one round trip, not a script: a script's call costs Redis ~12 µs
     * against ~3 µs for these, on every first claim. Neither needs the other: each is a set
     * (the first quantity kept), and a transaction with only the first still reads entered, so
     * its next claim publishes again, which the decision-maker answers once.
     */
    async markPending(transactionId: string, quantity: number): Promise<void> {
      const key = keys.transaction(transactionId);
      await redis.pipeline().hsetnx(key, txField.claimedQuantity, quantity).hset(key, txField.claimPending, flag.yes).exec();
    },

    /** 'refused', 'claimed' (a claim is pending or decided already) or 'not_ready' (a rebuild runs). */
    async refuseAtEdge(r: { transactionId: string; saleId: string; userId: string; quantity: number; reason: string; at: number }) {
      const n = Number(await call('fsRefuseAtEdge', r.transactionId, r.saleId, r.userId, String(r.quantity), r.reason, String(r.at)));
      return n === 1 ? 'refused' : n === 0 ? 'claimed' : 'not_ready';
    },

    async reserveEntry(e: { saleId: string; userId: string; transactionId: string; defaultCap: number; now: number; keepMs: number }) {
      const [ok, open, cap] = (await call('fsReserveEntry', e.saleId, e.userId, e.transactionId, e.defaultCap, e.now, e.keepMs)) as [
        number,
        number,
        number,
      ];
      return { ok: ok === 1, open, cap };
    },
  };
}

/** A hash as HGETALL answers it, flat (field, value, field, value, ...), as an object. */
function pairs(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

export type InventoryScripts = ReturnType<typeof createInventoryScripts>;
