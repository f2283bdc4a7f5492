// Writes each event's current schema to schemas/avsc/<Type>/v<N>.avsc: a new version file
// when the schema changed, after checking it is BACKWARD compatible with the last one.
// The .avsc files are the frozen history that test/unit/catalog checks every change against.
import fs from 'node:fs';
import path from 'node:path';
import { backwardIncompatibility } from '../schemas/compatibility.js';
import { eventSchemas, eventTypes } from '../schemas/events/index.js';
import { PROJECT_ROOT } from '../stack/paths.js';

export const AVSC_DIR = path.join(PROJECT_ROOT, 'schemas', 'avsc');

export function versions(type: string): { version: number; file: string }[] {
  const dir = path.join(AVSC_DIR, type);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((f) => ({ version: Number(/^v(\d+)\.avsc$/.exec(f)?.[1]), file: path.join(dir, f) }))
    .filter((v) => Number.isInteger(v.version))
    .sort((a, b) => a.version - b.version);
}

export function render(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  for (const type of eventTypes) {
    const current = render(eventSchemas[type]);
    const history = versions(type);
    const last = history.at(-1);
    if (last && fs.readFileSync(last.file, 'utf8') === current) continue;
    if (last) {
      const problem = backwardIncompatibility(eventSchemas[type], JSON.parse(fs.readFileSync(last.file, 'utf8')));
      if (problem) throw new Error(`${type}: not BACKWARD compatible with v${last.version}: ${problem}`);
    }
    const file = path.join(AVSC_DIR, type, `v${(last?.version ?? 0) + 1}.avsc`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, current);
    console.log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
  }
}
