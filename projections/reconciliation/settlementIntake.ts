// A partner's settlement file as the system receives it by itself (a signed POST, or a file
// dropped in the inbox directory), recorded once by its content: the same bytes again are the
// same settlement run (its id derives from the partner and the SHA-256 of the content). The
// file is compared with each of the partner's sales its rows may concern (applySettlementFile,
// once per sale; findings are recorded once by id, so a run cut short and retried adds
// nothing twice), then the run is recorded with what it found per sale. A malformed file
// records nothing (SettlementFileError, with its line).
import fs from 'node:fs';
import { type Db, inTransaction } from '../../platform/postgres.js';
import { applySettlementFile } from './settlement.js';
import { readSettlementRows } from './settlementFile.js';

export const settlementRunsDdl = `
create table if not exists reconciliation_settlement_runs (
  settlement_id text primary key,
  partner_id text not null,
  content_hash text not null,
  source text not null check (source in ('http', 'inbox', 'cli')),
  name text,
  bytes bigint not null,
  rows int not null,
  covers_until timestamptz,
  received_at timestamptz not null,
  unique (partner_id, content_hash)
);
create table if not exists reconciliation_settlement_run_sales (
  settlement_id text not null references reconciliation_settlement_runs (settlement_id),
  sale_id text not null,
  rows_of_sale int not null,
  findings int not null,
  new_findings int not null,
  primary key (settlement_id, sale_id)
);
create index if not exists reconciliation_settlement_run_sales_by_sale on reconciliation_settlement_run_sales (sale_id);
`;

/** A row's sale may end a day after its last reservation (a late payment): sales this close to the file's span are compared. */
const LATE_REPORT_MS = 24 * 3600_000;

export type SettlementRun = {
  settlementId: string;
  /** True when these bytes were recorded before: nothing was done again. */
  duplicate: boolean;
  rows: number;
  sales: { saleId: string; rowsOfSale: number; findings: number; newFindings: number }[];
};

export const settlementIdOf = (partnerId: string, contentHash: string) => `settlement:${partnerId}:${contentHash.slice(0, 32)}`;

/** One pass over the file: its rows and time span; a malformed row throws here, before anything is recorded. */
async function scan(path: string): Promise<{ rows: number; from: number | null; to: number | null }> {
  let rows = 0;
  let from: number | null = null;
  let to: number | null = null;
  for await (const { row } of readSettlementRows(fs.createReadStream(path))) {
    rows++;
    from = from === null ? row.occurredAt : Math.min(from, row.occurredAt);
    to = to === null ? row.occurredAt : Math.max(to, row.occurredAt);
  }
  return { rows, from, to };
}

export async function intakeSettlement({
  db,
  partnerId,
  path,
  contentHash,
  bytes,
  source,
  name = null,
  now = Date.now,
}: {
  db: Db;
  partnerId: string;
  /** The file, complete, on local disk (the route spools the body there; the inbox reads it in place). */
  path: string;
  contentHash: string;
  bytes: number;
  source: 'http' | 'inbox' | 'cli';
  name?: string | null;
  now?: () => number;
}): Promise<SettlementRun> {
  const settlementId = settlementIdOf(partnerId, contentHash);
  const seen = await db.query('select 1 from reconciliation_settlement_runs where settlement_id = $1', [settlementId]);
  if (seen.rowCount) return { settlementId, duplicate: true, rows: 0, sales: [] };
  const { rows, from, to } = await scan(path);
  const sales =
    from === null || to === null
      ? []
      : (
          await db.query<{ sale_id: string }>(
            `select sale_id from reconciliation_sales
             where partner_id = $1 and starts_at <= $3 and ends_at + make_interval(secs => reservation_seconds) >= $2
             order by sale_id`,
            [partnerId, new Date(from - LATE_REPORT_MS), new Date(to)],
          )
        ).rows.map((r) => r.sale_id);
  const found: SettlementRun['sales'] = [];
  for (const saleId of sales) {
    const outcome = await applySettlementFile({ db, saleId, rows: readSettlementRows(fs.createReadStream(path)), now });
    found.push({ saleId, rowsOfSale: outcome.rowsOfSale, findings: outcome.findings.length, newFindings: outcome.recorded.length });
  }
  const recorded = await inTransaction(db, async (client) => {
    const run = await client.query(
      `insert into reconciliation_settlement_runs (settlement_id, partner_id, content_hash, source, name, bytes, rows, covers_until, received_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing`,
      [settlementId, partnerId, contentHash, source, name, bytes, rows, to === null ? null : new Date(to), new Date(now())],
    );
    if (!run.rowCount) return false; // the same file, taken in at the same moment by another process
    for (const s of found)
      await client.query(
        `insert into reconciliation_settlement_run_sales (settlement_id, sale_id, rows_of_sale, findings, new_findings) values ($1, $2, $3, $4, $5)`,
        [settlementId, s.saleId, s.rowsOfSale, s.findings, s.newFindings],
      );
    return true;
  });
  return { settlementId, duplicate: !recorded, rows, sales: found };
}

export type SettlementRunView = {
  settlementId: string;
  source: string;
  name: string | null;
  receivedAt: string;
  coversUntil: string | null;
  rows: number;
  rowsOfSale: number;
  findings: number;
};

/** The settlement runs that concerned a sale, oldest first. */
export async function readSettlementRuns(db: Db, saleId: string): Promise<SettlementRunView[]> {
  const { rows } = await db.query<{
    settlement_id: string;
    source: string;
    name: string | null;
    received_at: Date;
    covers_until: Date | null;
    rows: number;
    rows_of_sale: number;
    findings: number;
  }>(
    `select r.settlement_id, r.source, r.name, r.received_at, r.covers_until, r.rows, s.rows_of_sale, s.findings
     from reconciliation_settlement_run_sales s join reconciliation_settlement_runs r using (settlement_id)
     where s.sale_id = $1 order by r.received_at, r.settlement_id`,
    [saleId],
  );
  return rows.map((r) => ({
    settlementId: r.settlement_id,
    source: r.source,
    name: r.name,
    receivedAt: r.received_at.toISOString(),
    coversUntil: r.covers_until?.toISOString() ?? null,
    rows: r.rows,
    rowsOfSale: r.rows_of_sale,
    findings: r.findings,
  }));
}
