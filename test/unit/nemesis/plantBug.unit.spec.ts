// The planted bugs prove the checker catches what it claims, so a patch that no longer applies
// (the line it replaces was rewritten) would silently take that proof away: `--plant-bug
// lost-entry-404` refused to start for a while after saleStore.ts changed. Each patch's line
// must be in its file exactly once.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLANTED_BUGS, REPOSITORY_ROOT } from '../../../faults/plantBug.js';

describe('the bugs the nemesis suite can plant', () => {
  it.each(Object.entries(PLANTED_BUGS))('%s still patches lines that exist once each', (_name, bug) => {
    for (const patch of bug.patches) {
      const text = fs.readFileSync(path.join(REPOSITORY_ROOT, patch.file), 'utf8');
      expect(text.split(patch.find).length - 1, patch.file).toBe(1);
    }
  });
});
