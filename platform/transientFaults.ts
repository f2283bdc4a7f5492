// Which failures of Redis and PostgreSQL mean "the store is away or overloaded, retry
// shortly" rather than "this request is wrong or our code is": the HTTP edge answers the
// first with 503 and Retry-After. Recognised by what the clients put on their errors
// (ioredis, pg), not by importing them, so the checks stay pure and testable.

type Failure = { name?: unknown; message?: unknown; code?: unknown; errno?: unknown };

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function asFailure(err: unknown): Failure | undefined {
  return typeof err === 'object' && err !== null ? err : undefined;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A socket that could not be opened or was cut (the same codes from both clients). */
function socketFailure(f: Failure): boolean {
  if (SOCKET_CODES.has(text(f.code))) return true;
  // Node wraps several connect attempts (IPv4 and IPv6) in an AggregateError whose code is on each member.
  const errors = (f as { errors?: unknown }).errors;
  return Array.isArray(errors) && errors.some((e) => SOCKET_CODES.has(text(asFailure(e)?.code)));
}

/**
 * Redis replies that say the server cannot serve now: still loading its data set, busy in a
 * script, a read-only replica (failover under way), out of memory under noeviction, or
 * refusing writes after a failed snapshot.
 */
const REDIS_UNAVAILABLE_REPLY = /^(LOADING|BUSY|READONLY|OOM|MISCONF|TRYAGAIN|CLUSTERDOWN|MASTERDOWN)\b/;

export function isRedisUnavailable(err: unknown): boolean {
  const f = asFailure(err);
  if (!f) return false;
  const name = text(f.name);
  const message = text(f.message);
  if (name === 'MaxRetriesPerRequestError') return true;
  // ioredis rejects queued commands with these when the connection drops or times out.
  if (/^(Connection is closed|Stream isn't writeable|Command timed out)/.test(message)) return true;
  // The reply error of a script (EVALSHA) carries the server's code first, e.g. "OOM command not allowed".
  if (name === 'ReplyError' && REDIS_UNAVAILABLE_REPLY.test(message)) return true;
  return socketFailure(f);
}

/**
 * SQLSTATE codes of a server that cannot serve now: class 08 (connection exception), 57P01
 * admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up or shutting
 * down), 53300 too many connections.
 */
function sqlStateUnavailable(code: string): boolean {
  return /^08[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

export function isPostgresUnavailable(err: unknown): boolean {
  const f = asFailure(err);
  if (!f) return false;
  if (sqlStateUnavailable(text(f.code))) return true;
  // pg's own words when the socket ends under a client or a pool cannot hand one out in time.
  if (/^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/.test(text(f.message)))
    return true;
  return socketFailure(f);
}

/** Either store away: the caller should retry shortly (503 with Retry-After at the edge). */
export function isStoreUnavailable(err: unknown): boolean {
  return isRedisUnavailable(err) || isPostgresUnavailable(err);
}
