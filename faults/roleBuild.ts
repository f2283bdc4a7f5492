// The role process the suite starts (test/support/faults/systemProcess.ts) compiled once per
// source tree into one ES module with esbuild, its packages left to node_modules: a run starts
// five roles and restarts them after every kill, and through tsx each start resolved and
// transformed some three hundred files again (about a second of CPU per start, on two cores
// shared with Kafka, Redis and Postgres). A planted-bug copy gets its own build.
import path from 'node:path';
import { build } from 'esbuild';

export const ROLE_ENTRY = 'test/support/faults/systemProcess.ts';
const OUT = '.flashsale/faults/systemProcess.mjs';

const built = new Map<string, Promise<string>>();

/** The compiled entry, relative to `root` (inside it, so node_modules resolves from there). */
export function buildRoleEntry(root: string): Promise<string> {
  let done = built.get(root);
  if (!done) {
    done = build({
      absWorkingDir: root,
      entryPoints: [path.join(root, ROLE_ENTRY)],
      outfile: path.join(root, OUT),
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'error',
    }).then(() => OUT);
    built.set(root, done);
  }
  return done;
}
