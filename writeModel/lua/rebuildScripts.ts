// The rebuild's Lua scripts: its lock (held only under the server run that took it, so a lock
// restored from a snapshot is void), the clearing of the store, and the end of a rebuild. The
// rebuild-mode apply lives with the other folds in scripts.ts.
import { keyPart as K } from '../storeFormat.js';
import { foldLua } from './fold.js';

/**
 * Deletes the given keys of the store (never the rebuild lock) while the caller still holds
 * the lock. ARGV: prefix, token, keys... The rebuild scans from outside and deletes batch by
 * batch, so a large keyspace never blocks Redis in one long script.
 */
export const clear = `${foldLua}
if not lockHeld(ARGV[2]) then return -1 end
local n = 0
for i = 3, #ARGV do
  if ARGV[i] ~= P .. '${K.lock}' and string.sub(ARGV[i], 1, #P) == P then n = n + redis.call('DEL', ARGV[i]) end
end
return n
`;

/** Marks the rebuilt state complete under a new epoch and this server run, and announces it. ARGV: prefix, token, epoch. */
export const finishRebuild = `${foldLua}
if not lockHeld(ARGV[2]) then return 0 end
redis.call('SET', P .. '${K.ready}', ARGV[3])
redis.call('SET', P .. '${K.readyRun}', serverRun())
redis.call('DEL', P .. '${K.lock}', P .. '${K.restored}')
redis.call('PUBLISH', P .. '${K.readyChannel}', ARGV[3])
return 1
`;

/**
 * Takes the rebuild lock for this server run. ARGV: prefix, token, ttl (ms). A lock taken under
 * another run (restored with the data set) is void and taken over. Returns 1 if taken.
 */
export const lock = `${foldLua}
local held = redis.call('GET', P .. '${K.lock}')
if held and string.match(held, '@(.*)$') == serverRun() then return 0 end
redis.call('SET', P .. '${K.lock}', lockValue(ARGV[2]), 'PX', ARGV[3])
return 1
`;
/** Renews the rebuild lock while this run's rebuild holds it. ARGV: prefix, token, ttl (ms). */
export const renewLock = `${foldLua}
if not lockHeld(ARGV[2]) then return 0 end
return redis.call('PEXPIRE', P .. '${K.lock}', ARGV[3])
`;
/** Releases the rebuild lock if this run's rebuild holds it. ARGV: prefix, token. */
export const unlock = `${foldLua}
if not lockHeld(ARGV[2]) then return 0 end
return redis.call('DEL', P .. '${K.lock}')
`;
