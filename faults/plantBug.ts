// A copy of the system's source with one bug planted on purpose, to show the checker catches
// what it claims: the source folders copied to a scratch directory, one text patch applied
// (it must match exactly, or the copy is refused), node_modules linked. The roles then run
// from the copy.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = [
  'bin',
  'cli',
  'stack',
  'platform',
  'schemas',
  'domain',
  'producers',
  'consumers',
  'projections',
  'writeModel',
  'runtime',
  'demo',
  'test',
  'package.json',
  'tsconfig.json',
];

type Patch = { file: string; find: string; replace: string; says: string };

const BUGS = {
  /** The claim script no longer checks that a free slot is left: it grants past the stock. */
  'no-stock-check': {
    file: 'writeModel/lua/scripts.ts',
    find: "elseif redis.call('ZCARD', sk .. '${K.free}') < q then",
    replace: 'elseif false then',
    says: 'the Redis claim script grants without checking the free slots (an oversell)',
  },
  /** The store answers a transaction it lacks as unknown even while a restored snapshot is being rebuilt (the bug seed 1 found). */
  'lost-entry-404': {
    file: 'writeModel/saleStore.ts',
    find: 'if ((await redis.exists(keys.ready)) !== 1) throw new StoreNotReadyError();',
    replace: 'return;',
    says: 'a Redis restored from a snapshot answers acknowledged entries 404 until it is rebuilt',
  },
} satisfies Record<string, Patch>;

export type PlantableBug = keyof typeof BUGS;
export const PLANTABLE_BUGS = Object.keys(BUGS) as PlantableBug[];

export function plantBug(name: PlantableBug): { root: string; says: string; remove(): void } {
  const bug: Patch = BUGS[name];
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `flashsale-bug-${name}-`));
  for (const s of SOURCES)
    fs.cpSync(path.join(repo, s), path.join(root, s), {
      recursive: true,
      filter: (src) => !/(node_modules|\.cache|\.flashsale)/.test(src),
    });
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
  const file = path.join(root, bug.file);
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes(bug.find)) throw new Error(`cannot plant ${name}: ${bug.file} no longer has the line to patch`);
  fs.writeFileSync(file, text.replace(bug.find, bug.replace));
  return { root, says: bug.says, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}
