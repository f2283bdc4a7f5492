// Whether the store is complete under this Redis server's run, and the rebuild lock and writer
// gate that follow from it, in Lua: the end of the fold every script shares (fold.ts).
import { flag, keyPart as K } from '../storeFormat.js';

export const storeRunLua = `
-- Which data set this is, as the server says it: its run id (new at every start of a
-- server, and another on a promoted replica) and its replication id (new whenever this server
-- becomes a master again: a node demoted in a failover, resynced from the new master, which
-- lacks the last writes the node took before it was demoted, and then promoted back keeps
-- its run id but not its replication id). The ready marker records the run under which the
-- state was last known complete. A master also takes a new replication id when it gets its
-- first replica (or again after its replicas have all been gone for repl-backlog-ttl): that
-- costs one tail fold of the events since the store's positions, idempotent, never a wrong
-- answer.
local function serverRun()
  local info = redis.call('INFO', 'server', 'replication') -- both sections in one call (Redis 7)
  return string.match(info, 'run_id:(%w+)') .. ':' .. string.match(info, 'master_replid:(%w+)')
end

-- The rebuild lock holds its rebuild's token and the server run it was taken under
-- ("<token>@<run>"). A lock that came back with the data set (a restart from a snapshot taken
-- while a rebuild was running, a promoted replica) names another run: it is void here. Without
-- the run, a rebuild that folded part of the topics' tail into the lost data set went on after
-- the restart (its token matched the restored lock), folded the rest into the restored one and
-- marked it complete without the part it had folded before the crash: the decisions in that
-- part lost their slots, and the next claims were granted them again (nemesis suite, seed 2).
local function lockValue(token) return token .. '@' .. serverRun() end
local function lockHeld(token) return redis.call('GET', P .. '${K.lock}') == lockValue(token) end
-- Whether the state is complete here and now. A server restarted from a snapshot or an AOF,
-- a replica promoted by a failover, or a master demoted and promoted back still holds the
-- ready marker but may have lost the writes after its last save or its last sync: those
-- events are on the topics, and the consumers that made them have committed past them, so
-- nothing would fold them again. Seen from another run, the marker is withdrawn: every
-- writer and the live fold stop until the rebuilder has folded the topics' tail since the
-- store's own positions (see ../rebuild.ts).
local function storeComplete()
  if redis.call('EXISTS', P .. '${K.ready}') == 0 then return false end
  if redis.call('GET', P .. '${K.readyRun}') == serverRun() then return true end
  redis.call('DEL', P .. '${K.ready}')
  redis.call('SET', P .. '${K.restored}', '${flag.yes}')
  return false
end

-- Writers (decisions, expiry, settlement) act only on a complete state they have seen: the
-- ready marker must exist, under this server run, and carry the epoch the writer last saw
-- (see writerEpoch.ts).
local function writerGate(expected)
  if not storeComplete() then return {'NOT_READY'} end
  local ready = redis.call('GET', P .. '${K.ready}')
  if ready ~= expected then return {'EPOCH', ready} end
  return nil
end
`;
