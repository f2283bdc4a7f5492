// What every client of a run saw, in the order it happened: each HTTP call with its answer (or
// error) and times, each webhook the partner sent with the clock it signed with, each nemesis
// as it struck and healed, each fault the workload planted. Kept in memory for the checker and
// written as JSON lines to the run's folder, so a violation can be read call by call.
import fs from 'node:fs';
import path from 'node:path';
import type { ObservedCall } from '../demo/api.js';
import type { Nemesis } from './schedule.js';

export type Actor = 'operator' | 'shopper' | 'partner' | 'suite';

export type HistoryEntry =
  | ({ type: 'call'; actor: Actor } & ObservedCall)
  | {
      type: 'webhook';
      kind: 'payment' | 'refund';
      partnerEventId: string;
      transactionId: string;
      /** How far the partner's clock was off when it signed (0: a good clock). */
      clockShiftSeconds: number;
      /** The signature's `t` (unix seconds), as the partner's clock read it. */
      signedSeconds: number;
      sentAt: number;
      answeredAt: number;
      status?: number;
      error?: string;
    }
  | { type: 'nemesis'; phase: 'strike' | 'heal'; at: number; nemesis: Nemesis }
  | { type: 'planted'; kind: string; transactionId: string; at: number }
  | { type: 'crash'; role: string; at: number; ended: string; stderr: string };

export type History = {
  entries: HistoryEntry[];
  record(entry: HistoryEntry): void;
  close(): Promise<void>;
};

/** A history that also streams to `<dir>/history.jsonl` when a folder is given. */
export function createHistory(dir?: string): History {
  const entries: HistoryEntry[] = [];
  let out: fs.WriteStream | undefined;
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    out = fs.createWriteStream(path.join(dir, 'history.jsonl'));
  }
  return {
    entries,
    record(entry) {
      entries.push(entry);
      out?.write(`${JSON.stringify(entry)}\n`);
    },
    close: () => new Promise<void>((resolve) => (out ? out.end(() => resolve()) : resolve())),
  };
}

/** Reads a history written by createHistory. */
export function readHistory(file: string): HistoryEntry[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as HistoryEntry);
}
