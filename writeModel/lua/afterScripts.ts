// The store's scripts for what happens after a reservation ended: a late payment accepted
// onto free slots, and a refunded payment's units put back in the queue. Same conventions as
// scripts.ts (ARGV[1] the key prefix, writers gated by their epoch).
import { decision as D, ending as E, flag, keyPart as K, saleField as S, txField as T } from '../storeFormat.js';
import { foldLua } from './fold.js';

/**
 * Accepts a late payment: the released transaction takes free slots, if there are enough.
 * ARGV: prefix, expected epoch, now, transactionId, payment eventId, by. Returns {'OK', outcome,
 * tuple}: 'accepted' (or 'again', the same tuple) with transactionId, saleId, userId, quantity,
 * slots, payment, by, at; or 'no_unit' / 'not_released' alone.
 */
export const acceptLate = `${foldLua}
local gate = writerGate(ARGV[2])
if gate then return gate end
local at, t, pay, by = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local k = txKey(t)
local f = redis.call('HMGET', k, '${T.decision}', '${T.ending}', '${T.decidedSaleId}', '${T.decidedUserId}', '${T.decidedQuantity}',
  '${T.acceptedSlots}', '${T.acceptedPaymentEventId}', '${T.acceptedBy}', '${T.acceptedAt}')
if f[6] then return {'OK', 'again', {t, f[3], f[4], f[5], f[6], f[7], f[8], f[9]}} end
if f[1] ~= '${D.granted}' or f[2] ~= '${E.released}' then return {'OK', 'not_released'} end
local q = tonumber(f[5])
if freeUnits(f[3]) < q then return {'OK', 'no_unit'} end
-- The lowest free slots of the sale's shards, shard by shard (an operator's rare act: it takes
-- from any shard's pool, as it took from the one pool before shards).
local nums = {}
for shard = 0, (shardsOf(f[3]) or 1) - 1 do
  for _, taken in ipairs(redis.call('ZRANGE', poolKey(f[3], shard), 0, q - #nums - 1)) do nums[#nums + 1] = string.match(taken, '(%d+)$') end
  if #nums >= q then break end
end
local slots = table.concat(nums, ',')
applyAccepted(t, f[3], f[4], f[5], slots, pay, by, at)
return {'OK', 'accepted', {t, f[3], f[4], f[5], slots, pay, by, at}}
`;

/**
 * Returns a transaction's units to the queue when the payment holding them was refunded and
 * the sale is still open; they stay off the pools until Kafka has the return
 * (fsReturnsPublished). ARGV: prefix, expected epoch, now, transactionId, payment eventId,
 * refund eventId. Returns {'OK', outcome, tuple}: 'returned' (or 'again') with transactionId,
 * saleId, userId, quantity, slots, payment, refund, at; or 'not_holding' / 'sale_over' alone.
 */
export const returnUnits = `${foldLua}
local gate = writerGate(ARGV[2])
if gate then return gate end
local at, t, pay, refund = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local f = redis.call('HMGET', txKey(t), '${T.decision}', '${T.ending}', '${T.paymentEventId}', '${T.decidedSaleId}', '${T.decidedUserId}',
  '${T.decidedQuantity}', '${T.grantedSlots}', '${T.acceptedSlots}', '${T.acceptedPaymentEventId}', '${T.returnedSlots}',
  '${T.returnedPaymentEventId}', '${T.returnedRefundEventId}', '${T.returnedAt}')
if f[10] then return {'OK', 'again', {t, f[4], f[5], f[6], f[10], f[11], f[12], f[13]}} end
local slots
if f[1] == '${D.granted}' and f[2] == '${E.settled}' and f[3] == pay then slots = f[7]
elseif f[9] == pay and f[8] then slots = f[8]
else return {'OK', 'not_holding'} end
local m = redis.call('HMGET', saleKey(f[4]), '${S.endsAt}', '${S.closed}')
if m[2] == '${flag.yes}' or tonumber(at) >= tonumber(m[1]) then return {'OK', 'sale_over'} end
applyReturned(t, f[4], f[5], f[6], slots, pay, refund, at, true)
return {'OK', 'returned', {t, f[4], f[5], f[6], slots, pay, refund, at}}
`;

/**
 * Releases Kafka has acknowledged: their slots go back to their pools, and they leave the
 * outbox. ARGV: prefix, then transaction ids. Again for the same release changes nothing.
 */
export const releasesPublished = `${foldLua}
for i = 2, #ARGV do
  freeReleased(ARGV[i])
  redis.call('ZREM', P .. '${K.outbox}', ARGV[i])
end
return 'OK'
`;

/** Returns Kafka has acknowledged: their slots go back to their pools. ARGV: prefix, then transaction ids. */
export const returnsPublished = `${foldLua}
for i = 2, #ARGV do freeReturned(ARGV[i]) end
return 'OK'
`;
