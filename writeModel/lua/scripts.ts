// The store's Lua scripts. Each runs atomically in Redis: that is where the "never oversell"
// check lives (one script pops slots only after checking sale window, limit and stock, with
// no other command in between). ARGV[1] is always the key prefix; see ../keys.ts.
import { decision as D, ending as E, foldKind as F, keyPart as K, saleField as S, txField as T } from '../storeFormat.js';
import { acceptLate, releasesPublished, returnsPublished, returnUnits } from './afterScripts.js';
import { clear, finishRebuild, lock, renewLock, unlock } from './rebuildScripts.js';
import { decide } from './decideScript.js';
import { foldLua } from './fold.js';

/**
 * Settles reservations for reported payments. ARGV: prefix, expected epoch, now, then per
 * payment transactionId, payment eventId, the reporting partner. Settles only a live grant,
 * and only for the sale's own partner; the same payment again gets the same settlement back;
 * anything else changes nothing and says why.
 */
const settle = `${foldLua}
local gate = writerGate(ARGV[2])
if gate then return gate end
local at = ARGV[3]
local out = {'OK'}
for i = 4, #ARGV, 3 do
  local t, pay, partner = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local f = redis.call('HMGET', txKey(t), '${T.decision}', '${T.ending}', '${T.paymentEventId}', '${T.decidedSaleId}', '${T.endedSaleId}',
    '${T.endedAt}')
  if f[2] == '${E.settled}' then
    if f[3] == pay then out[#out + 1] = {'again', t, f[5], pay, f[6]} else out[#out + 1] = {'other_payment', t} end
  elseif f[2] == '${E.released}' then
    out[#out + 1] = {'released', t}
  elseif f[1] == '${D.rejected}' then
    out[#out + 1] = {'rejected', t}
  elseif f[1] ~= '${D.granted}' then
    out[#out + 1] = {'unknown', t}
  elseif redis.call('HGET', saleKey(f[4]), '${S.partnerId}') ~= partner then
    -- Not the sale's partner (domain/claiming/decide.ts decideSettlement): the grant stays live.
    out[#out + 1] = {'wrong_partner', t}
  else
    applySettle(t, f[4], pay, at, pay)
    out[#out + 1] = {'settled', t, f[4], pay, at}
  end
end
return out
`;

/**
 * Releases live grants whose time is up. ARGV: prefix, expected epoch, now, limit, due by (the
 * moment every acknowledged payment is known settled: consumers/expiry/settledFrontier.ts; now
 * if absent). Each release is written to the outbox in the same step, so a crash before Kafka
 * has it loses nothing: the outbox is published again. Its slots stay off the pools until
 * Kafka has the release (fsReleasesPublished). Flagged `#!lua` as the decide script is: a full
 * Redis refuses the whole call (its first write may be a ZREM, after which Redis would let the
 * rest through past maxmemory).
 */
const releaseDue = `#!lua
${foldLua}
local gate = writerGate(ARGV[2])
if gate then return gate end
local at = ARGV[3]
local dueBy = ARGV[5] or at
local due = redis.call('ZRANGEBYSCORE', P .. '${K.expiries}', '-inf', dueBy, 'LIMIT', 0, tonumber(ARGV[4]))
local out = {'OK'}
for _, t in ipairs(due) do
  local f = redis.call('HMGET', txKey(t), '${T.decision}', '${T.ending}', '${T.decidedSaleId}', '${T.grantedSlots}')
  if f[1] == '${D.granted}' and not f[2] then
    local cause = 'decision:' .. t
    applyRelease(t, f[3], f[4], at, cause, 'expired', true)
    redis.call('ZADD', P .. '${K.outbox}', at, t)
    out[#out + 1] = {t, f[3], f[4], at, cause}
  else
    redis.call('ZREM', P .. '${K.expiries}', t)
  end
end
return out
`;

/** The releases still waiting for Kafka's acknowledgement. ARGV: prefix, limit. */
const readOutbox = `${foldLua}
local out = {}
for _, t in ipairs(redis.call('ZRANGE', P .. '${K.outbox}', 0, tonumber(ARGV[2]) - 1)) do
  local f = redis.call('HMGET', txKey(t), '${T.endedSaleId}', '${T.releasedSlots}', '${T.endedAt}', '${T.endingCausationId}',
    '${T.releaseReason}')
  if f[1] then out[#out + 1] = {t, f[1], f[2], f[3], f[4], f[5]} else redis.call('ZREM', P .. '${K.outbox}', t) end
end
return out
`;

/**
 * Folds events into the store. ARGV: prefix, mode, token, then per event its position
 * ("topic:partition", or '' for none), offset, and the event as JSON of strings (see
 * ../encoding.ts). Modes: 'live' (the projector; needs the ready marker), 'rebuild' (needs
 * the rebuild lock's token; renews it), 'direct' (a writer re-applying its own last events,
 * or the edge pre-warming; needs the ready marker). An event at or below the position
 * already applied for its partition is skipped; the fold itself is idempotent too.
 */
const apply = `${foldLua}
local mode = ARGV[2]
if mode == 'rebuild' then
  if not lockHeld(ARGV[3]) then return {'LOCK_LOST'} end
  redis.call('PEXPIRE', P .. '${K.lock}', 30000)
elseif not storeComplete() then
  return {'NOT_READY'}
end
local changed = 0
for i = 4, #ARGV, 3 do
  local pos, off = ARGV[i], ARGV[i + 1]
  local last = pos ~= '' and redis.call('HGET', P .. '${K.positions}', pos)
  if not last or tonumber(last) < tonumber(off) then
    local e = cjson.decode(ARGV[i + 2])
    -- A fold record (storeFormat.ts FoldRecord).
    local k = e.kind
    local did = false
    if k == '${F.saleScheduled}' then did = applySchedule(e.saleId, e.terms, tonumber(e.stock))
    elseif k == '${F.saleClosed}' then did = applyClose(e.saleId)
    elseif k == '${F.entryRecorded}' then did = applyEntry(e.transactionId, e.saleId, e.userId)
    elseif k == '${F.handedOn}' then did = applyHandOn(e.transactionId, e.saleId, e.userId, e.quantity)
    elseif k == '${F.granted}' then
      did = applyGrant(e.transactionId, e.saleId, e.userId, e.quantity, e.slotNumbers, e.expiresAt, e.amountMinor, e.currency,
        e.occurredAt, e.causationId)
    elseif k == '${F.rejected}' then
      did = applyReject(e.transactionId, e.saleId, e.userId, e.quantity, e.reason, e.occurredAt, e.causationId)
    elseif k == '${F.released}' then
      did = applyRelease(e.transactionId, e.saleId, e.slotNumbers, e.occurredAt, e.causationId, e.reason)
    elseif k == '${F.settled}' then
      did = applySettle(e.transactionId, e.saleId, e.paymentEventId, e.occurredAt, e.causationId)
    elseif k == '${F.accepted}' then
      did = applyAccepted(e.transactionId, e.saleId, e.userId, e.quantity, e.slotNumbers, e.paymentEventId, e.acceptedBy, e.occurredAt)
    elseif k == '${F.returned}' then
      did = applyReturned(e.transactionId, e.saleId, e.userId, e.quantity, e.slotNumbers, e.paymentEventId, e.refundEventId,
        e.occurredAt)
    end
    if did then changed = changed + 1 end
    if pos ~= '' then redis.call('HSET', P .. '${K.positions}', pos, off) end
  end
end
return {'OK', changed}
`;

/**
 * Whether the store is complete under this server run (see storeComplete in fold.ts), and
 * whether it was once complete under another: then only the topics' tail since its own
 * positions is missing. ARGV: prefix. Returns {complete, restored}.
 */
const checkStore = `${foldLua}
local complete = storeComplete()
return {complete and 1 or 0, redis.call('EXISTS', P .. '${K.restored}')}
`;

/** A sale's terms and free-slot count (over its shards), and whether the store is complete. ARGV: prefix, saleId. */
const readSale = `${foldLua}
return {redis.call('EXISTS', P .. '${K.ready}'), freeUnits(ARGV[2]), redis.call('HGETALL', saleKey(ARGV[2]))}
`;

/**
 * A transaction's hash and, in the same step, whether the store is complete (storeComplete in
 * fold.ts): a reader must not trust a hash read from a store still folding its tail, nor
 * learn that the store is complete only after its read. ARGV: prefix, tx.
 */
const readTransaction = `${foldLua}
return {storeComplete() and 1 or 0, redis.call('HGETALL', txKey(ARGV[2]))}
`;

/** The edge's entry: idempotent, and the same fold the projector runs on EntryRecorded. ARGV: prefix, tx, sale, user. */
const recordEntry = `${foldLua}
applyEntry(ARGV[2], ARGV[3], ARGV[4])
return 1
`;

/**
 * The edge's cap on open entries, before it publishes an entry: a user's entries in a sale
 * that no claim has followed yet. Each costs a Kafka record kept for good and a hash here, so
 * one identity must not open them without end. ARGV: prefix, sale, user, tx, default cap, now
 * (ms), keep (ms: how long the list outlives this call). The cap is the sale's own term where
 * it has one (SaleScheduled's maxOpenEntriesPerUser), read here rather than passed in so no
 * cached view of the sale can loosen it; else the default (MAX_OPEN_ENTRIES_PER_USER).
 * Entries that were claimed (pending or decided) leave the list; so does one whose hash never
 * appeared within IN_FLIGHT_MS (its publish failed). Returns {1, open entries with this one,
 * cap} when let in, else {0, open entries, cap}. The list holds at most the cap, so the walk
 * over it is short. Flagged `#!lua`: a full Redis refuses the whole call, even when its first
 * write is the ZREM of a stale entry.
 */
const IN_FLIGHT_MS = 60_000;
const reserveEntry = `#!lua
local P, s, u, t = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now, keep = tonumber(ARGV[6]), tonumber(ARGV[7])
local cap = tonumber(redis.call('HGET', P .. '${K.sale}' .. s, '${S.maxOpenEntriesPerUser}')) or tonumber(ARGV[5])
local k = P .. '${K.sale}' .. s .. '${K.openEntries}' .. u
local listed = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
for i = 1, #listed, 2 do
  local tk = P .. '${K.transaction}' .. listed[i]
  local claimed = redis.call('HEXISTS', tk, '${T.claimPending}') == 1 or redis.call('HEXISTS', tk, '${T.decision}') == 1
  local lost = redis.call('EXISTS', tk) == 0 and now - tonumber(listed[i + 1]) > ${IN_FLIGHT_MS}
  if claimed or lost then redis.call('ZREM', k, listed[i]) end
end
local open = redis.call('ZCARD', k)
if open >= cap then return {0, open, cap} end
redis.call('ZADD', k, now, t)
redis.call('PEXPIRE', k, keep)
return {1, open + 1, cap}
`;

/**
 * A claim the edge refused at once (the sale sold out or not open) becomes the transaction's
 * decision, with the same fold the projector runs when the ClaimRejected event the edge
 * records later arrives (then a no-op): a repeated claim answers this first decision, and no
 * later claim of the transaction can be granted after its refusal went on record. Only a
 * transaction still entered (no claim pending, no decision) is refused. ARGV: prefix, tx,
 * sale, user, quantity, reason, at (ms). Returns 1 refused, 0 already claimed or decided, -1
 * the store is not complete (being rebuilt).
 */
const refuseAtEdge = `${foldLua}
if not storeComplete() then return -1 end
local t = ARGV[2]
local k = txKey(t)
if redis.call('HEXISTS', k, '${T.claimPending}') == 1 then return 0 end
if not applyReject(t, ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], '') then return 0 end
return 1
`;

export const inventoryScripts = {
  fsDecide: decide,
  fsSettle: settle,
  fsReleaseDue: releaseDue,
  fsAcceptLate: acceptLate,
  fsReturnUnits: returnUnits,
  fsReadOutbox: readOutbox,
  fsReleasesPublished: releasesPublished,
  fsReturnsPublished: returnsPublished,
  fsApply: apply,
  fsClear: clear,
  fsFinishRebuild: finishRebuild,
  fsLock: lock,
  fsRenewLock: renewLock,
  fsUnlock: unlock,
  fsCheckStore: checkStore,
  fsReadSale: readSale,
  fsReadTransaction: readTransaction,
  fsRecordEntry: recordEntry,
  fsReserveEntry: reserveEntry,
  fsRefuseAtEdge: refuseAtEdge,
} as const;

export type InventoryScriptName = keyof typeof inventoryScripts;
