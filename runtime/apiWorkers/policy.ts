// The api worker pool's decisions, pure: how many workers a start forks, and what the primary
// does when one dies unasked. It starts another after a pause that doubles with each recent
// death, and gives up when they keep dying: a worker that cannot start (a port taken, a bad
// deployment) would otherwise be forked again for ever.
import { API_WORKERS_MAX } from '../../platform/config.js';
import type { Role } from '../system.js';

export const RESTART_DELAY_MS_MIN = 100;
export const RESTART_DELAY_MS_MAX = 10_000;
/** Deaths older than this are forgotten: a worker that died once an hour is restarted at once every time. */
export const CRASH_WINDOW_MS = 60_000;
/** More deaths than this within CRASH_WINDOW_MS, and the pool gives up (the whole start ends, exit 1). */
export const CRASHES_PER_WINDOW_MAX = 10;

/** `--api-workers`: a whole number from 1 to API_WORKERS_MAX, or why not. */
export function parseApiWorkers(text: string): { ok: true; count: number } | { ok: false; message: string } {
  const count = /^\d{1,3}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (count >= 1 && count <= API_WORKERS_MAX) return { ok: true, count };
  return { ok: false, message: `a whole number from 1 to ${API_WORKERS_MAX}` };
}

/**
 * How many api workers to fork: none when one is asked for (the api runs in this process, as
 * it always has) or the api is not among the roles. `flag`, the command line's, must then not
 * ask for more than one; API_WORKERS (`configured`) is shared by every role's process and only
 * matters where the api runs.
 */
export function apiWorkersToFork(roles: readonly Role[], { flag, configured }: { flag: number | undefined; configured: number }): number {
  const asked = flag ?? configured;
  if (!roles.includes('api')) {
    if (flag !== undefined && flag > 1) throw new Error('--api-workers needs the api role among --roles');
    return 0;
  }
  return asked > 1 ? asked : 0;
}

export type RestartDecision = { action: 'restart'; delayMs: number } | { action: 'give-up'; reason: string };

/**
 * After a worker died unasked at `nowMs`: the deaths still counted (`crashesAtMs` were the
 * earlier ones, this one added) and whether to start another, after how long.
 */
export function afterWorkerDeath(crashesAtMs: readonly number[], nowMs: number): { crashesAtMs: number[]; decision: RestartDecision } {
  const recent = [...crashesAtMs.filter((at) => nowMs - at < CRASH_WINDOW_MS), nowMs];
  if (recent.length > CRASHES_PER_WINDOW_MAX)
    return {
      crashesAtMs: recent,
      decision: { action: 'give-up', reason: `${recent.length} api workers died within ${CRASH_WINDOW_MS / 1000} s` },
    };
  const delayMs = Math.min(RESTART_DELAY_MS_MAX, RESTART_DELAY_MS_MIN * 2 ** (recent.length - 1));
  return { crashesAtMs: recent, decision: { action: 'restart', delayMs } };
}
