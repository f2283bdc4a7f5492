// A copy of the system's source with one bug planted on purpose, to show the checker catches
// what it claims: the source folders copied to a scratch directory, the bug's text patches
// applied (each must match exactly, or the copy is refused), node_modules linked. The roles
// then run from the copy.
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

export type Patch = { file: string; find: string; replace: string };
export type PlantedBug = { says: string; patches: readonly Patch[] };

const BUGS = {
  /**
   * Both stock checks gone: the claim script grants without a free slot, and the API no longer
   * refuses a sold-out sale at the edge. The edge refusal alone stopped most over-claims before
   * Kafka, so with only the script patched an oversell needed claims racing the last units,
   * and a slow CI machine spread the crowd out enough that none did (CI, seed 3).
   */
  'no-stock-check': {
    says: "the Redis claim script grants without checking the free slots, and the edge lets a sold-out sale's claims through (an oversell)",
    patches: [
      {
        file: 'writeModel/lua/decideScript.ts',
        find: 'if #popped < 2 * q then',
        replace: 'if false then',
      },
      {
        file: 'producers/http/storefront/claimAnswer.ts',
        find: "case 'sold_out':\n      return 'sold_out';",
        replace: "case 'sold_out':\n      return undefined;",
      },
    ],
  },
  /** The store answers a transaction it lacks as unknown even while a restored snapshot is being rebuilt (the bug seed 1 found). */
  'lost-entry-404': {
    says: 'a Redis restored from a snapshot answers what its snapshot held (acknowledged entries 404) until it is rebuilt',
    patches: [
      {
        file: 'writeModel/saleStore.ts',
        find: 'const { complete, fields } = await scripts.readTransaction(transactionId);\n    if (!complete) throw new StoreNotReadyError();',
        replace: 'const { complete, fields } = await scripts.readTransaction(transactionId);\n    void complete;',
      },
      {
        // The claim route reads its transaction and sale in one script (lua/edgeScripts.ts).
        file: 'writeModel/saleStore.ts',
        find: 'await scripts.readClaim(transactionId, saleId);\n      if (!complete) throw new StoreNotReadyError();',
        replace: 'await scripts.readClaim(transactionId, saleId);\n      void complete;',
      },
    ],
  },
} satisfies Record<string, PlantedBug>;

export type PlantableBug = keyof typeof BUGS;
/** Each bug's patches, for the test that keeps them applicable as the code they patch changes. */
export const PLANTED_BUGS: Readonly<Record<PlantableBug, PlantedBug>> = BUGS;
export const REPOSITORY_ROOT = repo;
export const PLANTABLE_BUGS = Object.keys(BUGS) as PlantableBug[];

export function plantBug(name: PlantableBug): { root: string; says: string; remove(): void } {
  const bug: PlantedBug = BUGS[name];
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `flashsale-bug-${name}-`));
  for (const s of SOURCES)
    fs.cpSync(path.join(repo, s), path.join(root, s), {
      recursive: true,
      filter: (src) => !/(node_modules|\.cache|\.flashsale)/.test(src),
    });
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
  for (const patch of bug.patches) {
    const file = path.join(root, patch.file);
    const text = fs.readFileSync(file, 'utf8');
    if (!text.includes(patch.find)) {
      fs.rmSync(root, { recursive: true, force: true });
      throw new Error(`cannot plant ${name}: ${patch.file} no longer has the line to patch`);
    }
    fs.writeFileSync(file, text.replace(patch.find, patch.replace));
  }
  return { root, says: bug.says, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}
