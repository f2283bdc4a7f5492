// The settlement inbox: partners (or a transfer job on their behalf) drop settlement files in
// SETTLEMENT_INBOX_DIR/<partnerId>/<name>.csv, and every SETTLEMENT_INBOX_POLL_SECONDS the
// reconciliation role takes in each one (projections/reconciliation/settlementIntake.ts):
// recorded once by content hash, so a file dropped twice is one run. A file taken in moves to
// <partnerId>/done/, a malformed or oversized one to <partnerId>/failed/ with a `.error` note
// beside it; while Postgres is away the file stays where it is for the next poll. Write a
// file under another name (`.part`) and rename it to `.csv` when complete: a rename is atomic.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../platform/log.js';
import type { Db } from '../../platform/postgres.js';
import { SettlementFileError } from '../../projections/reconciliation/settlementFile.js';
import { intakeSettlement, type SettlementRun } from '../../projections/reconciliation/settlementIntake.js';

async function sha256(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

async function moveTo(dir: string, file: string, note?: string): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true });
  const target = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${path.basename(file)}`);
  await fs.promises.rename(file, target);
  if (note) await fs.promises.writeFile(`${target}.error`, `${note}\n`);
}

export function createSettlementInbox({
  db,
  dir,
  maxBytes,
  log: parentLog,
  afterIntake = async () => undefined,
}: {
  db: Db;
  dir: string;
  maxBytes: number;
  log: Logger;
  afterIntake?: () => Promise<void>;
}) {
  const log = parentLog.child({ worker: 'settlementInbox', dir });

  async function takeIn(partnerId: string, file: string): Promise<SettlementRun | undefined> {
    const partnerDir = path.dirname(file);
    const { size } = await fs.promises.stat(file);
    if (size > maxBytes) {
      await moveTo(path.join(partnerDir, 'failed'), file, `larger than ${maxBytes} bytes (SETTLEMENT_MAX_BYTES)`);
      log.warn({ partnerId, file, size }, 'settlement file too large: moved to failed/');
      return undefined;
    }
    try {
      const run = await intakeSettlement({
        db,
        partnerId,
        path: file,
        contentHash: await sha256(file),
        bytes: size,
        source: 'inbox',
        name: path.basename(file),
      });
      await moveTo(path.join(partnerDir, 'done'), file);
      log.info({ partnerId, file, settlementId: run.settlementId, duplicate: run.duplicate, rows: run.rows }, 'settlement file taken in');
      return run;
    } catch (err) {
      if (!(err instanceof SettlementFileError)) throw err; // Postgres away: the file stays for the next poll
      await moveTo(path.join(partnerDir, 'failed'), file, err.message);
      log.warn({ partnerId, file, err: err.message }, 'malformed settlement file: moved to failed/');
      return undefined;
    }
  }

  /** One look at the inbox: every `<partnerId>/*.csv` taken in, in name order. Returns the runs made. */
  async function poll(): Promise<SettlementRun[]> {
    const runs: SettlementRun[] = [];
    const partners = await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const p of partners.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      const files = await fs.promises.readdir(path.join(dir, p.name), { withFileTypes: true });
      for (const f of files.filter((e) => e.isFile() && e.name.endsWith('.csv')).sort((a, b) => a.name.localeCompare(b.name))) {
        const run = await takeIn(p.name, path.join(dir, p.name, f.name));
        if (run) runs.push(run);
      }
    }
    if (runs.some((r) => !r.duplicate)) await afterIntake().catch(() => undefined);
    return runs;
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  return {
    poll,
    /** Polls every pollMs until stopped; a failed poll is logged and tried again at the next. */
    start(pollMs: number): void {
      const tick = () => {
        running = poll()
          .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'settlement inbox poll failed; trying again later'))
          .finally(() => {
            if (!stopped) timer = setTimeout(tick, pollMs);
          });
      };
      timer = setTimeout(tick, 0);
    },
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
