// The claim route's read, in one script: what it used to ask in two round trips (the
// transaction, then the sale), each costing the api a command's encoding, parsing and
// promises, and Redis a script call. Same conventions as scripts.ts (ARGV[1] the key prefix).
import { txField as T } from '../storeFormat.js';
import { foldLua } from './fold.js';

/**
 * A transaction's hash and, in the same step, whether the store is complete (storeComplete in
 * fold.ts: a read must not trust a store restored from a snapshot, see scripts.ts
 * readTransaction); and, while the transaction may still be claimed for the first time (no
 * claim pending, no decision), the sale's free-slot count (over its shards) and terms, which the edge then
 * judges the claim by. ARGV: prefix, tx, sale. Returns {complete, tx fields} or
 * {complete, tx fields, free, sale terms}.
 */
export const readClaim = `${foldLua}
local k = txKey(ARGV[2])
local complete = storeComplete() and 1 or 0
local fields = redis.call('HGETALL', k)
if redis.call('HEXISTS', k, '${T.claimPending}') == 1 or redis.call('HEXISTS', k, '${T.decision}') == 1 then
  return {complete, fields}
end
return {complete, fields, freeUnits(ARGV[3]), redis.call('HGETALL', saleKey(ARGV[3]))}
`;

export const edgeScripts = { fsReadClaim: readClaim } as const;
