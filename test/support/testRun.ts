// Every name a test gives the shared stack (a topic prefix, so its topics, consumer groups and
// Redis keys, and a PostgreSQL schema) starts with `t<run>` and a separator, <run> the test
// run's start in base-36 milliseconds. The run's global teardown can then drop what it left
// on the shared broker and database, and a later run can sweep what a killed run left
// (testLeftovers.ts): every test system creates some 60 partitions, and a broker that kept
// them all ran out of file descriptors after a few dozen runs.

/** Set by the first global setup of a run (stackSetup.ts); test processes inherit it. */
export const TEST_RUN_ENV = 'FLASHSALE_TEST_RUN';

/** A file run without the global setup (a bench or a script importing test support) names its own run. */
const ownRun = Date.now().toString(36);

export function testRunId(): string {
  return process.env[TEST_RUN_ENV] ?? ownRun;
}

export function newTestRunId(): string {
  return Date.now().toString(36);
}

/** Eight or nine base-36 digits: Date.now() from 1972 to the year 5188. */
const TEST_NAME = /^t([0-9a-z]{8,9})[-_]/;

/** The run that made a name, and when that run started; undefined for a name no test run made. */
export function runOf(name: string): { run: string; startedAt: number } | undefined {
  const match = TEST_NAME.exec(name);
  if (!match) return undefined;
  const run = match[1]!;
  return { run, startedAt: parseInt(run, 36) };
}
