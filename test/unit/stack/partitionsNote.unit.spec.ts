// `stack status` counts the partitions the single node keeps on disk and warns before the
// broker runs out of file descriptors (it died holding ~19,900 that test runs had left).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionsNote } from '../../../stack/stack.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function dataDir(entries: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'partitions-'));
  dirs.push(dir);
  for (const e of entries) fs.mkdirSync(path.join(dir, e));
  return dir;
}

describe('the partitions note of stack status', () => {
  it('counts partition folders, leaving out those being deleted and the node’s own files', () => {
    const dir = dataDir(['t1.flashsale.claims-0', 't1.flashsale.claims-1', '__consumer_offsets-7', 'x.flashsale.sales-0.abc-delete']);
    fs.writeFileSync(path.join(dir, 'meta.properties'), '');
    expect(partitionsNote(dir)).toBe('3 partitions');
  });

  it('warns past 5,000 partitions', () => {
    const dir = dataDir(Array.from({ length: 5_001 }, (_, i) => `t.flashsale.claims-${i}`));
    expect(partitionsNote(dir)).toMatch(/^5001 partitions: too many for one node/);
  });

  it('says nothing of a node never started here', () => {
    expect(partitionsNote(path.join(os.tmpdir(), 'no-such-kafka-data'))).toBeUndefined();
  });
});
