// PostgreSQL: one pool per process. Projections live in a named schema (`public` live, a
// fresh one for an analyst's replay or a test), chosen by search_path on every connection.
import pg from 'pg';

export type Db = pg.Pool;

/**
 * A pool whose connections use `schema` as their search_path; without one, the URL decides
 * (PostgreSQL's default, `public`, or `?options=-c search_path=...` in DATABASE_URL).
 */
export function createDb(databaseUrl: string, schema?: string, max = 10): Db {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema))
    throw new Error(`invalid schema name "${schema}": lowercase letters, digits and _ only`);
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    // pg's default waits without end for a connection; a request should fail (503) instead.
    connectionTimeoutMillis: 5_000,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** SQL for a timestamptz from a column of epoch milliseconds (how our JSON records carry times). */
export const fromEpochMs = (column: string): string => `to_timestamp(${column} / 1000.0)`;

export async function ensureSchema(db: Db, schema: string): Promise<void> {
  await db.query(`create schema if not exists ${schema}`);
}

/**
 * Runs fn in one database transaction. While the client is checked out of the pool it has an
 * 'error' listener of ours: pg emits 'error' on a client whose server goes away (besides
 * rejecting the query in hand), and without a listener that event would crash the process.
 * A client that saw an error is destroyed on release, not handed to the next caller.
 */
export async function inTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken ??= err;
  };
  client.on('error', onError);
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch((rollbackErr: unknown) => {
      broken ??= rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    });
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
