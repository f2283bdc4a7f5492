// Compares a projection's tables in two schemas row for row, in SQL (EXCEPT ALL both ways),
// so a difference names the rows, not just the counts.
import type { Db } from '../../platform/postgres.js';
import type { ComparedTable } from '../../projections/replayable.js';

export type TableDifference = { table: string; onlyInLive: unknown[]; onlyInReplay: unknown[] };

export type Window = { from?: number | undefined; to?: number | undefined };

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid identifier ${name}`);
  return `"${name}"`;
}

export function comparableTables(tables: readonly ComparedTable[], window: Window): ComparedTable[] {
  const bounded = window.from !== undefined || window.to !== undefined;
  return bounded ? tables.filter((t) => t.timeColumn) : [...tables];
}

/** Which schemas and tables to compare, over which window, naming at most `limit` differing rows per table and side. */
export type Comparison = { live: string; replay: string; tables: readonly ComparedTable[]; window: Window; limit?: number };

export async function compareSchemas(db: Db, { live, replay, tables, window, limit = 20 }: Comparison): Promise<TableDifference[]> {
  const differences: TableDifference[] = [];
  for (const table of comparableTables(tables, window)) {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (table.timeColumn && window.from !== undefined) {
      params.push(new Date(window.from));
      conditions.push(`${quoteIdent(table.timeColumn)} >= $${params.length}`);
    }
    if (table.timeColumn && window.to !== undefined) {
      params.push(new Date(window.to));
      conditions.push(`${quoteIdent(table.timeColumn)} < $${params.length}`);
    }
    const where = conditions.length ? `where ${conditions.join(' and ')}` : '';
    const rows = (schema: string) => `select * from ${quoteIdent(schema)}.${quoteIdent(table.name)} ${where}`;
    const diff = async (a: string, b: string) =>
      (await db.query(`select to_jsonb(d) as row from ((${rows(a)}) except all (${rows(b)})) d limit ${limit}`, params)).rows.map(
        (r: { row: unknown }) => r.row,
      );
    const [onlyInLive, onlyInReplay] = [await diff(live, replay), await diff(replay, live)];
    if (onlyInLive.length || onlyInReplay.length) differences.push({ table: table.name, onlyInLive, onlyInReplay });
  }
  return differences;
}
