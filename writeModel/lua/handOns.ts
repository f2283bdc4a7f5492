// A claim handed on to another shard, in Lua: what its home shard counts against the shopper's
// limit until the claim is decided. Part of the fold every script shares (fold.ts), after its
// txKey, saleKey, keepUntilSaleOver and uncount, before the decisions' folds that keep or give
// back the count.
import { keyPart as K, txField as T } from '../storeFormat.js';

export const handOnLua = `
-- A claim handed on to another shard still counts against its shopper's limit while it is in
-- flight: its home shard counts it in the sale's held and live when it hands it on, and marks
-- the transaction (handOnHeld); the decision keeps the count (a grant) or gives it back (a
-- refusal). So the shopper's limit is raised only by their home shard's decision-maker, the one
-- writer a Redis restored from a snapshot relies on: the other shard's grant may be lost and
-- re-folded later (writerEpoch.ts), but the home shard, which re-folds its own hand-ons first,
-- has counted the claim meanwhile (test/int/faults/shardsAfterSnapshot.int.spec.ts). Not on
-- the sales topic: a rebuild from the log has only decisions, and a grant not marked counts
-- itself. A no-op once the claim is decided or counted.
local function applyHandOn(t, s, u, q)
  local k = txKey(t)
  if redis.call('HEXISTS', k, '${T.decision}') == 1 or redis.call('HEXISTS', k, '${T.handOnHeld}') == 1 then return false end
  redis.call('HSET', k, '${T.handOnHeld}', q)
  keepUntilSaleOver(t, s)
  local sk = saleKey(s)
  redis.call('HINCRBY', sk .. '${K.held}', u, tonumber(q))
  redis.call('HSET', sk .. '${K.live}', u, t)
  return true
end

-- What a hand-on counted goes back (the claim was refused, or its grant was released before
-- it was folded); the mark goes in any case.
local function uncountHandOn(t, s, u)
  local k = txKey(t)
  local q = redis.call('HGET', k, '${T.handOnHeld}')
  if not q then return end
  redis.call('HDEL', k, '${T.handOnHeld}')
  uncount(s, u, q, t)
end
`;
