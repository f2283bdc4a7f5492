// The decision script: where "never oversell" is checked and acted on in one atomic step
// (sale window, limit and stock checked, slots popped, with no other command in between).
// Same conventions as scripts.ts: ARGV[1] is the key prefix, writers are gated by their epoch.
import { decision as D, flag, keyPart as K, saleField as S, txField as T } from '../storeFormat.js';
import { foldLua } from './fold.js';

/**
 * The decision script. The `#!lua` first line (no flags) has Redis refuse the whole call
 * when it is over maxmemory, before the script runs: without it Redis only refuses a script's
 * first write that may grow memory, and once a ZPOPMIN (a write that frees memory) had run,
 * every later write of the call went through, so claims were decided past maxmemory (the
 * redisErrors OOM test: the claims must wait until Redis has room again).
 *
 * It decides a batch of claims. ARGV: prefix, expected epoch, now, then per claim
 * transactionId, saleId, userId, quantity, claim eventId, shard, hops (times handed on so far).
 * The rules are those of domain/claiming/decide.ts, over the shard's own free slots; a decided
 * transaction gets its stored decision back. A claim its shard cannot serve is handed on
 * to the shard with the most free slots, if one has enough and the claim has not yet been handed
 * on K - 1 times (its units counted against the shopper's limit meanwhile: fold.ts
 * applyHandOn); otherwise it is sold out: no shard has enough.
 */
export const decide = `#!lua
${foldLua}
local gate = writerGate(ARGV[2])
if gate then return gate end
local at = ARGV[3]
local now = tonumber(at)
local sales = {}
local function terms(s)
  local m = sales[s]
  if m == nil then
    local f = redis.call('HMGET', saleKey(s), '${S.startsAt}', '${S.endsAt}', '${S.closed}', '${S.perUserLimit}', '${S.reservationSeconds}',
      '${S.priceMinor}', '${S.currency}')
    m = false
    if f[1] then
      m = { startsAt = tonumber(f[1]), endsAt = tonumber(f[2]), closed = f[3] == '${flag.yes}', limit = tonumber(f[4]),
            seconds = tonumber(f[5]), price = tonumber(f[6]), currency = f[7] }
    end
    sales[s] = m
  end
  return m
end
-- A grant to a transaction never decided, as applyGrant writes it (fold.ts), with fewer calls:
-- this is the hot path of a sale (a call costs Redis 1-3 us; the script ran ~50 us a grant).
-- Its slots are the lowest free ones, popped by the stock check (takeSlots); a transaction
-- not decided has no ending in a complete store (an ending is only ever folded after its
-- grant was written here, or during a rebuild, when no decision is taken); and a transaction
-- whose entry was folded has its expiry already (applyEntry), so only a claim without one
-- (published straight to Kafka, as the bench and some tests do) sets it here.
local function grantFresh(t, s, u, qs, q, entered, counted, m, at, cause, popped)
  local sk = saleKey(s)
  local nums, holders = {}, {}
  for j = 2, #popped, 2 do
    nums[#nums + 1] = popped[j]
    holders[#holders + 1] = popped[j]
    holders[#holders + 1] = t
  end
  local slots = table.concat(nums, ',')
  local exp, amount = fmt(now + m.seconds * 1000), fmt(m.price * q)
  redis.call('HSET', txKey(t), '${T.decision}', '${D.granted}', '${T.decidedSaleId}', s, '${T.decidedUserId}', u, '${T.decidedQuantity}', qs,
    '${T.decidedAt}', at, '${T.decisionCausationId}', cause,
    '${T.grantedSlots}', slots, '${T.expiresAt}', exp, '${T.amountMinor}', amount, '${T.currency}', m.currency)
  if not entered then keepUntilSaleOver(t, s) end
  redis.call('HSET', sk .. '${K.holders}', unpack(holders))
  -- A claim its home shard handed on was counted against the limit then (applyHandOn).
  if counted > 0 then redis.call('HDEL', txKey(t), '${T.handOnHeld}') else redis.call('HINCRBY', sk .. '${K.held}', u, q) end
  redis.call('HSET', sk .. '${K.live}', u, t)
  redis.call('ZADD', P .. '${K.expiries}', exp, t)
  return {'${D.granted}', t, s, u, qs, at, cause, false, slots, exp, amount, m.currency}
end
-- The shard a claim is handed on to: the one with the most free slots, if it has q; the
-- others' pools are only read here, never taken from.
local function handOnTo(s, k, from, q)
  local best, most = nil, q - 1
  for shard = 0, k - 1 do
    if shard ~= from then
      local free = redis.call('ZCARD', poolKey(s, shard))
      if free > most then best, most = shard, free end
    end
  end
  return best
end
-- The stock check and the take in one call: the pool's q lowest slots, or nil (and the pool as
-- it was) when it has fewer. A grant is nearly every decision of a sale with stock left, and
-- a count before the pop was a call more for each.
local function takeSlots(pool, q)
  local popped = redis.call('ZPOPMIN', pool, q)
  if #popped < 2 * q then
    if #popped > 0 then
      local back = {}
      for j = 1, #popped, 2 do
        back[#back + 1] = popped[j + 1]
        back[#back + 1] = popped[j]
      end
      redis.call('ZADD', pool, unpack(back))
    end
    return nil
  end
  return popped
end
local out = {'OK'}
for i = 4, #ARGV, 7 do
  local t, s, u, qs, cause = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local shard, hops = tonumber(ARGV[i + 5]), tonumber(ARGV[i + 6])
  local q = tonumber(qs)
  local known = redis.call('HMGET', txKey(t), '${T.decision}', '${T.saleId}', '${T.handOnHeld}')
  if known[1] then
    out[#out + 1] = storedDecision(t)
  else
    local m = terms(s)
    local sk = saleKey(s)
    local reason, handOn, slots = nil, nil, nil
    local k = m and shardsOf(s) or 1
    local pool = poolKey(s, shard % k)
    -- Units the home shard counted when it handed this claim on: in held and live already.
    local counted = tonumber(known[3] or '0')
    -- The sale window: domain/claiming/saleWindow.ts saleWindowAt, kept here because it must run in Redis.
    if not m or m.closed or now < m.startsAt or now >= m.endsAt then
      reason = 'sale_not_open'
    else
      local live = redis.call('HGET', sk .. '${K.live}', u)
      if live and live ~= t then
        reason = 'duplicate'
      elseif tonumber(redis.call('HGET', sk .. '${K.held}', u) or '0') - counted + q > m.limit then
        reason = 'limit_exceeded'
      else
        slots = takeSlots(pool, q)
        if not slots then
          handOn = hops < k - 1 and handOnTo(s, k, shard % k, q)
          if not handOn then reason = 'sold_out' end
        end
      end
    end
    if handOn then
      applyHandOn(t, s, u, qs)
      out[#out + 1] = {'forward', t, s, u, qs, at, cause, tostring(shard % k), tostring(handOn), tostring(hops + 1)}
    elseif reason then
      applyReject(t, s, u, qs, reason, at, cause)
      out[#out + 1] = {'${D.rejected}', t, s, u, qs, at, cause, reason}
    else
      out[#out + 1] = grantFresh(t, s, u, qs, q, known[2] ~= false, counted, m, at, cause, slots)
    end
  end
end
return out
`;
