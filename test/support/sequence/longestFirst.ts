// The order test files start in. Two forks share the machine, so the suite ends when the last
// long file does: started last (vitest's fallback on a clone with no results cache runs larger
// files first, and the nemesis suite is a small file that runs for minutes), one long file held
// the suite past its budget alone. Longest first, by this run's cache when it has one, else by
// the durations recorded in durations.json (`npm run test:durations` refreshes them from the
// last `npm test`), else by size as vitest does.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const recordedFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'durations.json');

/** Seconds per test file (relative to the project's root), as last recorded. */
export function recordedDurations(): Record<string, number> {
  try {
    return JSON.parse(fs.readFileSync(recordedFile, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const bySize = await super.sort(files);
    const recorded = recordedDurations();
    const root = this.ctx.config.root;
    const seconds = (spec: TestSpecification): number => {
      const file = path.relative(root, spec.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${file}`);
      return cached && !cached.failed ? cached.duration / 1000 : (recorded[file] ?? 0);
    };
    // A stable sort: files with no figure keep vitest's own order (failed first, then larger).
    return bySize
      .map((spec, i) => ({ spec, i, s: seconds(spec) }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .map((x) => x.spec);
  }
}
