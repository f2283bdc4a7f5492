// A sharded sale's free slots in Lua, part of the fold every script shares (fold.ts): which
// shard's pool a slot is free in, and the sale's free units over all its pools. Uses fold.ts's
// saleKey; see the comment on poolKey for why a slot never leaves its pool.
import { keyPart as K, saleField as S } from '../storeFormat.js';

export const shardPoolsLua = `
-- A sale's shards, read once per script run (SaleScheduled v3; a sale scheduled before it has
-- one); nil while its terms are not folded, and then not remembered, as they may be folded
-- later in the same run.
local saleShards = {}
local function shardsOf(s)
  local k = saleShards[s]
  if k == nil then
    local f = redis.call('HMGET', saleKey(s), '${S.endsAt}', '${S.shards}')
    if not f[1] then return nil end
    k = tonumber(f[2] or '1')
    saleShards[s] = k
  end
  return k
end
-- The free slots of one shard of a sale. A slot belongs to one shard's pool for good, its home
-- shard (n - 1) mod K, and only that shard's decision-maker takes slots from it: a claim on a
-- shard without enough is handed on to a shard with enough (ClaimForwarded) and decided
-- there, never taken from another shard's pool. One remover per pool is what a writer's
-- epoch (writerEpoch.ts) needs after Redis comes back from a snapshot: a decision-maker re-folds
-- its own last grants before it decides again, and no other takes from its pool meanwhile.
local function poolKey(s, shard)
  if shard == 0 then return saleKey(s) .. '${K.free}' end
  return saleKey(s) .. '${K.shardFree}' .. shard
end
-- The pool slot n is free in, or nil while the sale's terms are not folded (its schedule then
-- puts every slot no transaction holds in its pool).
local function homePool(s, n)
  local k = shardsOf(s)
  if not k then return nil end
  return poolKey(s, (tonumber(n) - 1) % k)
end
local function freeUnits(s)
  local k, free = shardsOf(s) or 1, 0
  for shard = 0, k - 1 do free = free + redis.call('ZCARD', poolKey(s, shard)) end
  return free
end
`;
