// Integration tests need the real stack: bring it up (idempotent) before any file runs.
// Tearing it down is the test script's job, and only when it started it.
//
// The first setup of a run names the run (testRun.ts), sweeps what runs that ended long ago
// left on the shared broker and database (a run that was killed never tore down), and, once
// every test has run, drops what this run left.
import { stackUp } from '../../stack/stack.js';
import { dropTestLeftovers, type RunFilter } from './testLeftovers.js';
import { newTestRunId, TEST_RUN_ENV } from './testRun.js';

/** No test run lasts this long: a run that started before is over, and its names are free to drop. */
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

async function drop(what: string, filter: RunFilter): Promise<void> {
  try {
    const dropped = await dropTestLeftovers(filter);
    if (dropped.topics + dropped.schemas > 0)
      console.log(`test leftovers (${what}): ${dropped.topics} topics, ${dropped.schemas} schemas, ${dropped.keys} keys dropped`);
  } catch (err) {
    // A later run sweeps what this one could not drop: not a reason to fail the tests.
    console.warn(`test leftovers (${what}) not dropped: ${(err as Error).message}`);
  }
}

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  await stackUp(() => undefined);
  // Each project (int, e2e) has this setup; the first one of the run owns the run.
  if (process.env[TEST_RUN_ENV]) return undefined;
  const run = newTestRunId();
  process.env[TEST_RUN_ENV] = run;
  const staleBefore = Date.now() - STALE_AFTER_MS;
  await drop('earlier runs', (r) => r.startedAt < staleBefore);
  return () => drop('this run', (r) => r.run === run);
}
