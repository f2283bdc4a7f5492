// `flashsale reconcile --sale <id> [--partner-file <csv>] [--format table|json|csv]`: the
// reconciliation report of a sale, read from the reconciliation projection in Postgres;
// with a partner's settlement file, first compared against it (findings recorded once and
// published as MismatchFlagged). Settlement file columns: see domain/reconciliation/README.md.
import fs from 'node:fs';
import { Transform } from 'node:stream';
import { type Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { loadConfig } from '../../platform/config.js';
import { createKafka } from '../../platform/kafka/client.js';
import { createEventPublisher } from '../../platform/kafka/publisher.js';
import { createLogger } from '../../platform/log.js';
import { createDb, type Db } from '../../platform/postgres.js';
import { createEventCodec, createSchemaRegistry } from '../../platform/registry/codec.js';
import { createMismatchOutbox } from '../../projections/reconciliation/outbox.js';
import { readReconciliation } from '../../projections/reconciliation/report.js';
import { applySettlementFile, type SettlementOutcome } from '../../projections/reconciliation/settlement.js';
import { readSettlementRows } from '../../projections/reconciliation/settlementFile.js';
import { registerResolveCommand } from './reconcileResolve.js';
import { type Format, FORMATS, formatCsv, formatJson, formatTable } from '../reconciliationOutput.js';

function format(value: string): Format {
  if (!(FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${FORMATS.join(', ')}`);
  return value as Format;
}

function schemaName(value: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(value)) throw new InvalidArgumentError('lowercase letters, digits and _ only, not starting with a digit');
  return value;
}

async function assertReconciliationRan(db: Db, schema: string): Promise<void> {
  const { rows } = await db.query<{ t: string | null }>(`select to_regclass('reconciliation_sales')::text as t`);
  if (!rows[0]?.t)
    throw new Error(`no reconciliation tables in schema ${schema}: the reconciliation role has not run against this database`);
}

/** Reads the file (progress on stderr by bytes when it is a terminal) and applies it; nothing is recorded unless every row is good. */
async function applyFile(db: Db, saleId: string, file: string): Promise<SettlementOutcome> {
  let size: number;
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) throw new Error('not a regular file');
    size = stat.size;
  } catch (err) {
    throw new Error(`cannot read the partner file ${file}: ${(err as Error).message}`);
  }
  const input = fs.createReadStream(file);
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: 'settlement file [{bar}] {percentage}% | {value}/{total} bytes', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(size, 0);
  // Counting in a pass-through, not a 'data' listener: that would let bytes flow before the parser is attached.
  const counted = input.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bar?.increment(chunk.length);
        done(null, chunk);
      },
    }),
  );
  input.on('error', (err) => counted.destroy(err));
  try {
    return await applySettlementFile({ db, saleId, rows: readSettlementRows(counted) });
  } finally {
    bar?.stop();
    input.destroy();
  }
}

/** Publishes what the run recorded; if Kafka is not there, the reconciliation role publishes it later from the outbox. */
async function publishFindings(db: Db): Promise<void> {
  const config = loadConfig();
  const log = createLogger('silent');
  const kafka = createKafka(config, 'flashsale-reconcile', log);
  const codec = createEventCodec({ registry: createSchemaRegistry(config), topicPrefix: config.topicPrefix });
  const publisher = await createEventPublisher({ kafka, codec, topicPrefix: config.topicPrefix });
  try {
    await createMismatchOutbox({ db, publisher }).drain();
  } finally {
    await publisher.disconnect();
  }
}

export function registerReconcileCommand(program: Command): void {
  const reconcile = program
    .command('reconcile')
    .description("a sale's reconciliation report: our totals, the partner's, and every mismatch; also against a partner's settlement file")
    // Checked in the action, not by commander: `reconcile resolve` takes no --sale.
    .option('--sale <id>', 'the sale (required)')
    .option(
      '--partner-file <csv>',
      "the partner's settlement file: CSV with eventId,transactionId,type,quantity,amountMinor,currency,occurredAt",
    )
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, format, 'table' as Format)
    .option('--schema <name>', 'the Postgres schema holding the projections (an analyst replay’s, say)', schemaName, 'public')
    .action(async (opts: { sale?: string; partnerFile?: string; format: Format; schema: string }) => {
      if (!opts.sale) throw new Error("required option '--sale <id>' not specified");
      await report({ ...opts, sale: opts.sale });
    });
  registerResolveCommand(reconcile);
}

async function report(opts: { sale: string; partnerFile?: string; format: Format; schema: string }): Promise<void> {
  const db = createDb(loadConfig().databaseUrl, opts.schema, 2);
  try {
    await assertReconciliationRan(db, opts.schema);
    let unpublished: Error | undefined;
    if (opts.partnerFile) {
      const outcome = await applyFile(db, opts.sale, opts.partnerFile);
      const until = outcome.coversUntil === null ? 'no rows' : `covering up to ${new Date(outcome.coversUntil).toISOString()}`;
      console.error(
        `settlement file: ${outcome.rows} rows, ${outcome.rowsOfSale} about sale ${opts.sale} (${until}); ` +
          `${outcome.findings.length} findings, ${outcome.recorded.length} new`,
      );
      if (outcome.recorded.length) await publishFindings(db).catch((err: Error) => (unpublished = err));
    }
    const view = await readReconciliation(db, opts.sale);
    if (!view) throw new Error(`reconciliation has seen nothing of sale ${opts.sale}`);
    if (opts.format === 'csv') process.stdout.write(formatCsv(view));
    else console.log(opts.format === 'json' ? formatJson(view) : formatTable(view));
    if (unpublished)
      throw new Error(
        `the findings are recorded but not yet published (${unpublished.message}); the reconciliation role publishes them when it runs`,
      );
  } finally {
    await db.end();
  }
}
