// `npm run test:durations`: records how long each test file took in the last `npm test` (its
// vitest JSON report), rounded to the second, for the longest-first order of a fresh clone
// (test/support/sequence/longestFirst.ts). Commit the file when the figures moved a lot.
import fs from 'node:fs';
import path from 'node:path';

type Report = { testResults: { name: string; startTime: number; endTime: number }[] };
const report = JSON.parse(fs.readFileSync(process.argv[2] ?? '.flashsale/vitest-report.json', 'utf8')) as Report;
const durations = Object.fromEntries(
  report.testResults
    .map((f) => [path.relative(process.cwd(), f.name), Math.round((f.endTime - f.startTime) / 1000)] as const)
    .filter(([, s]) => s >= 1)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
);
fs.writeFileSync('test/support/sequence/durations.json', `${JSON.stringify(durations, null, 2)}\n`);
console.log(`${Object.keys(durations).length} test files recorded in test/support/sequence/durations.json`);
