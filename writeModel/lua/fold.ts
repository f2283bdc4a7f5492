// The inventory fold in Lua: the same rules as domain/claiming/inventory.ts `evolve`, one
// function per event type, shared by every script so a decision writes exactly what the
// projector writes when it later folds the decision's event (which is then a no-op), and what
// a rebuild writes when it replays it. Each returns whether it changed anything.
//
// Values cross the boundary as strings: epoch-ms times and money are formatted with %.0f,
// never with Lua's default %.14g, which would switch to exponent notation on large values.
// Key parts, field names and stored words come from ../storeFormat.ts, interpolated here.
import { decision as D, ending as E, flag, keyPart as K, saleField as S, txField as T } from '../storeFormat.js';
import { handOnLua } from './handOns.js';
import { shardPoolsLua } from './shardPools.js';
import { storeRunLua } from './storeRun.js';

/**
 * How long a transaction's hash outlives its sale: a week after the sale's end, when every
 * reservation has long ended (granted only before the end, released or paid within minutes)
 * and the transactions projection answers for it, Redis drops it. One identity's entries in
 * every sale would otherwise stay in memory for good.
 */
export const TX_KEPT_AFTER_SALE_MS = 7 * 24 * 3600_000;
/**
 * And at least this long from the moment the expiry is set: a rebuild folding a sale that
 * ended months ago must not see a hash vanish between two of its events (a later event would
 * then leave half a transaction behind). Such a hash is dropped an hour after the rebuild.
 */
export const TX_KEPT_AT_LEAST_MS = 3600_000;

export const foldLua = `
local P = ARGV[1]
local function fmt(n) return string.format('%.0f', n) end
local function txKey(t) return P .. '${K.transaction}' .. t end
local function saleKey(s) return P .. '${K.sale}' .. s end

-- A sale's end and the clock, read once per script run: a batch folds many transactions of
-- few sales (a rebuild's batches hold thousands), and a sale's end never changes once known.
local saleEnds = {}
local nowMs
local function saleEnd(s)
  local ends = saleEnds[s]
  if ends == nil then
    ends = tonumber(redis.call('HGET', saleKey(s), '${S.endsAt}'))
    saleEnds[s] = ends
  end
  return ends
end
${shardPoolsLua}
local function clockMs()
  if nowMs == nil then
    local clock = redis.call('TIME')
    nowMs = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
  end
  return nowMs
end

-- Sets the transaction hash's expiry once, from its sale's end (see TX_KEPT_AFTER_SALE_MS):
-- NX leaves an expiry already set alone, in the same call (Redis 7). Folded before its sale's
-- terms (a rebuild reads the entries and sales topics in no common order), the transaction
-- waits in the sale's untimed set, and the sale's schedule sets the expiry of every one
-- waiting there; no transaction of a sale has an expiry before its terms are known.
local function keepUntilSaleOver(t, s)
  local ends = saleEnd(s)
  if not ends then
    redis.call('SADD', saleKey(s) .. '${K.untimed}', t)
    return
  end
  redis.call('PEXPIREAT', txKey(t), fmt(math.max(ends + ${TX_KEPT_AFTER_SALE_MS}, clockMs() + ${TX_KEPT_AT_LEAST_MS})), 'NX')
end

local function applySchedule(s, fields, stock)
  local sk = saleKey(s)
  if redis.call('EXISTS', sk) == 1 then return false end
  redis.call('HSET', sk, unpack(fields))
  local k = shardsOf(s)
  -- A slot some transaction holds already (folded out of order) is not free.
  local holders = redis.call('EXISTS', sk .. '${K.holders}') == 1
  for shard = 0, k - 1 do
    local pool, batch = poolKey(s, shard), {}
    for n = shard + 1, stock, k do
      if not holders or redis.call('HEXISTS', sk .. '${K.holders}', n) == 0 then
        batch[#batch + 1] = n
        batch[#batch + 1] = s .. ':' .. n
        if #batch >= 2000 then
          redis.call('ZADD', pool, unpack(batch))
          batch = {}
        end
      end
    end
    if #batch > 0 then redis.call('ZADD', pool, unpack(batch)) end
  end
  for _, t in ipairs(redis.call('SMEMBERS', sk .. '${K.untimed}')) do keepUntilSaleOver(t, s) end
  redis.call('DEL', sk .. '${K.untimed}')
  return true
end

local function applyClose(s)
  local sk = saleKey(s)
  if redis.call('HGET', sk, '${S.closed}') ~= '${flag.no}' then return false end
  redis.call('HSET', sk, '${S.closed}', '${flag.yes}')
  return true
end

local function applyEntry(t, s, u)
  local k = txKey(t)
  local a = redis.call('HSETNX', k, '${T.saleId}', s)
  local b = redis.call('HSETNX', k, '${T.userId}', u)
  keepUntilSaleOver(t, s)
  return a + b > 0
end

-- A user's units leave the per-user limit's count (and their live reservation, if it is t).
local function uncount(s, u, q, t)
  local sk = saleKey(s)
  if redis.call('HINCRBY', sk .. '${K.held}', u, -tonumber(q)) <= 0 then redis.call('HDEL', sk .. '${K.held}', u) end
  if redis.call('HGET', sk .. '${K.live}', u) == t then redis.call('HDEL', sk .. '${K.live}', u) end
end

${handOnLua}

local function applyReject(t, s, u, q, reason, at, cause)
  local k = txKey(t)
  if redis.call('HEXISTS', k, '${T.decision}') == 1 then return false end
  redis.call('HSET', k, '${T.decision}', '${D.rejected}', '${T.decidedSaleId}', s, '${T.decidedUserId}', u, '${T.decidedQuantity}', q,
    '${T.rejectionReason}', reason, '${T.decidedAt}', at, '${T.decisionCausationId}', cause)
  keepUntilSaleOver(t, s)
  uncountHandOn(t, s, u)
  return true
end

local function applyGrant(t, s, u, q, slots, exp, amount, currency, at, cause)
  local k = txKey(t)
  if redis.call('HEXISTS', k, '${T.decision}') == 1 then return false end
  redis.call('HSET', k, '${T.decision}', '${D.granted}', '${T.decidedSaleId}', s, '${T.decidedUserId}', u, '${T.decidedQuantity}', q,
    '${T.decidedAt}', at, '${T.decisionCausationId}', cause,
    '${T.grantedSlots}', slots, '${T.expiresAt}', exp, '${T.amountMinor}', amount, '${T.currency}', currency)
  keepUntilSaleOver(t, s)
  local ending = redis.call('HGET', k, '${T.ending}')
  -- Released before this grant was folded: its slots went back already and stay free.
  if ending == '${E.released}' then
    uncountHandOn(t, s, u)
    return true
  end
  local sk = saleKey(s)
  for n in string.gmatch(slots, '[^,]+') do
    local pool = homePool(s, n)
    if pool then redis.call('ZREM', pool, s .. ':' .. n) end
    redis.call('HSET', sk .. '${K.holders}', n, t)
  end
  -- Counted already when its home shard handed it on: the count stays, the mark goes.
  if redis.call('HDEL', k, '${T.handOnHeld}') == 0 then redis.call('HINCRBY', sk .. '${K.held}', u, tonumber(q)) end
  -- Settled before this grant was folded: held for good, nothing live, nothing to expire.
  if not ending then
    redis.call('HSET', sk .. '${K.live}', u, t)
    redis.call('ZADD', P .. '${K.expiries}', exp, t)
  elseif redis.call('HGET', sk .. '${K.live}', u) == t then
    redis.call('HDEL', sk .. '${K.live}', u)
  end
  return true
end

-- The slots a transaction still holds go back to their pools (a later grant may own one already).
local function freeHeld(t, s, slots)
  local sk = saleKey(s)
  for n in string.gmatch(slots, '[^,]+') do
    if redis.call('HGET', sk .. '${K.holders}', n) == t then
      redis.call('HDEL', sk .. '${K.holders}', n)
      local pool = homePool(s, n)
      if pool then redis.call('ZADD', pool, n, s .. ':' .. n) end
    end
  end
end

-- A release. Folded from the log, its slots go back at once. Written by the expiry ahead of
-- its event (held = true), they stay with the transaction until the event is on the log
-- (freeReleased, after Kafka's acknowledgement): a slot is granted again only after the release
-- that freed it is on record, so the log never shows a slot granted while its holder holds it.
-- Its units leave the holder's count against the limit at the same moment (releaseUnlogged
-- keeps them meanwhile): granted a unit again before, the holder would hold two on the log.
local function applyRelease(t, s, slots, at, cause, reason, held)
  local k = txKey(t)
  if redis.call('HEXISTS', k, '${T.ending}') == 1 then return false end
  redis.call('HSET', k, '${T.ending}', '${E.released}', '${T.endedSaleId}', s, '${T.releasedSlots}', slots, '${T.endedAt}', at,
    '${T.endingCausationId}', cause, '${T.releaseReason}', reason)
  keepUntilSaleOver(t, s)
  redis.call('ZREM', P .. '${K.expiries}', t)
  local g = redis.call('HMGET', k, '${T.decision}', '${T.decidedUserId}', '${T.decidedQuantity}', '${T.grantedSlots}', '${T.decidedSaleId}')
  if g[1] ~= '${D.granted}' then return true end
  if held then
    redis.call('HSET', k, '${T.releaseUnlogged}', g[3])
  else
    freeHeld(t, g[5], g[4])
    uncount(g[5], g[2], g[3], t)
  end
  return true
end

-- A release's event is on the log: the slots and the count it kept back go free (once).
local function freeReleased(t)
  local k = txKey(t)
  local g = redis.call('HMGET', k, '${T.ending}', '${T.decidedSaleId}', '${T.grantedSlots}', '${T.decidedUserId}', '${T.releaseUnlogged}')
  if g[1] ~= '${E.released}' or not g[2] or not g[3] then return end
  freeHeld(t, g[2], g[3])
  if g[5] and redis.call('HDEL', k, '${T.releaseUnlogged}') == 1 then uncount(g[2], g[4], g[5], t) end
end

local function applySettle(t, s, pay, at, cause)
  local k = txKey(t)
  if redis.call('HEXISTS', k, '${T.ending}') == 1 then return false end
  redis.call('HSET', k, '${T.ending}', '${E.settled}', '${T.endedSaleId}', s, '${T.paymentEventId}', pay, '${T.endedAt}', at,
    '${T.endingCausationId}', cause)
  keepUntilSaleOver(t, s)
  redis.call('ZREM', P .. '${K.expiries}', t)
  local g = redis.call('HMGET', k, '${T.decision}', '${T.decidedUserId}', '${T.decidedSaleId}')
  if g[1] ~= '${D.granted}' then return true end
  local sk = saleKey(g[3])
  if redis.call('HGET', sk .. '${K.live}', g[2]) == t then redis.call('HDEL', sk .. '${K.live}', g[2]) end
  return true
end

-- After a release: the operator accepted the late payment, and these free slots are the transaction's for good.
local function applyAccepted(t, s, u, q, slots, pay, by, at)
  local k = txKey(t)
  if redis.call('HEXISTS', k, '${T.acceptedSlots}') == 1 or redis.call('HEXISTS', k, '${T.returnedSlots}') == 1 then return false end
  redis.call('HSET', k, '${T.acceptedSlots}', slots, '${T.acceptedPaymentEventId}', pay, '${T.acceptedBy}', by, '${T.acceptedAt}', at)
  keepUntilSaleOver(t, s)
  local sk = saleKey(s)
  for n in string.gmatch(slots, '[^,]+') do
    local pool = homePool(s, n)
    if pool then redis.call('ZREM', pool, s .. ':' .. n) end
    redis.call('HSET', sk .. '${K.holders}', n, t)
  end
  redis.call('HINCRBY', sk .. '${K.held}', u, tonumber(q))
  return true
end

-- The payment holding the units was refunded while the sale was open: the slots it still holds
-- go back. Written by the refund desk ahead of its event (held = true), they go back, and leave
-- the count against the limit, only once the event is on the log (freeReturned), as for a release.
local function applyReturned(t, s, u, q, slots, pay, refund, at, held)
  local k = txKey(t)
  if redis.call('HEXISTS', k, '${T.returnedSlots}') == 1 then return false end
  redis.call('HSET', k, '${T.returnedSlots}', slots, '${T.returnedPaymentEventId}', pay, '${T.returnedRefundEventId}', refund,
    '${T.returnedAt}', at)
  keepUntilSaleOver(t, s)
  if held then
    redis.call('HSET', k, '${T.returnUnlogged}', q)
  else
    freeHeld(t, s, slots)
    uncount(s, u, q, t)
  end
  return true
end

-- A return's event is on the log: the slots and the count it kept back go free (once).
local function freeReturned(t)
  local k = txKey(t)
  local g = redis.call('HMGET', k, '${T.returnedSlots}', '${T.decidedSaleId}', '${T.decidedUserId}', '${T.returnUnlogged}')
  if not g[1] or not g[2] then return end
  freeHeld(t, g[2], g[1])
  if g[4] and redis.call('HDEL', k, '${T.returnUnlogged}') == 1 then uncount(g[2], g[3], g[4], t) end
end

-- The stored decision, in the order the adapter reads it back (encoding.ts decisionFromTuple):
-- decision, transactionId, saleId, userId, quantity, occurredAt, causationId, reason, slots, expiresAt, amount, currency
local function storedDecision(t)
  local f = redis.call('HMGET', txKey(t), '${T.decision}', '${T.decidedSaleId}', '${T.decidedUserId}', '${T.decidedQuantity}',
    '${T.decidedAt}', '${T.decisionCausationId}', '${T.rejectionReason}', '${T.grantedSlots}', '${T.expiresAt}', '${T.amountMinor}',
    '${T.currency}')
  return {f[1], t, f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11]}
end

${storeRunLua}
`;
