import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/support/sequence/longestFirst.js';

// unit: pure logic, no network. int: the real stack. e2e: the running system over HTTP and the CLI.
export default defineConfig({
  test: {
    // Two cores: test files share one broker, so at most two run at a time.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // Longest files first, so no long file starts last and runs alone (see the sequencer).
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.unit.spec.ts'],
          // Property tests run thousands of cases: on two shared cores under the int tests' load
          // a 5 s default timed one out. A wrong answer fails them, never the time they take.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'int',
          include: ['test/**/*.int.spec.ts'],
          globalSetup: ['test/support/stackSetup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.spec.ts'],
          globalSetup: ['test/support/stackSetup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
