// The root cause of the nemesis suite's oversell (seed 2), pinned down: a rebuild running while
// Redis is saved, crashes and comes back from that snapshot. The rebuild took its lock before
// the SAVE, so the lock came back with the data set, holding its token. It had folded part of
// the topics' tail after the SAVE (into the data set then lost); it went on against the
// restored one, whose positions it never read again, and marked it complete without that part:
// grants made between the snapshot and the crash lost their slots, and the next claims were
// granted them again (33 units held for 30). The lock now names the server run it was taken
// under: a rebuild that outlives a restart is refused on the new data set, and the next one
// takes the void lock at once and folds from the positions the restored data set holds.
import { describe, expect, it } from 'vitest';
import { createInventoryScripts, type Positioned } from '../../../writeModel/inventoryScripts.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { waitForServer } from '../../support/faults/ownRedis.js';
import { useOwnRedis } from '../../support/faults/useOwnRedis.js';

const own = useOwnRedis('rdb');

/** A sale's schedule at `offset` of one `sales` partition: any folded event does. */
const at = (offset: number): Positioned => ({
  event: saleScheduled({ saleId: `sale-${offset}` }),
  position: { topic: 'test.sales', partition: 0, offset: String(offset) },
});

describe('a rebuild under way while Redis is restarted from a snapshot', () => {
  it('is refused on the restored data set, and the next rebuild takes the lock at once', async () => {
    const scripts = createInventoryScripts(own.client, `snaprebuild-${Date.now()}`);
    expect(await scripts.checkStore()).toEqual({ complete: false, restored: false });
    expect(await scripts.lock('rebuild-a', 30_000)).toBe(true);
    expect(await scripts.lock('rebuild-b', 30_000)).toBe(false); // one rebuild at a time
    expect(await scripts.apply({ mode: 'rebuild', token: 'rebuild-a' }, [at(0)])).toBe('ok');

    await own.server.save(); // the lock, and the fold of offset 0, are in the snapshot
    expect(await scripts.apply({ mode: 'rebuild', token: 'rebuild-a' }, [at(1)])).toBe('ok'); // lost with the crash
    await own.server.kill();
    await own.server.restart();

    // Rebuild A goes on: it must not fold offset 2 onto a data set without offset 1, nor mark it complete.
    await waitForServer(own.client);
    expect(await scripts.apply({ mode: 'rebuild', token: 'rebuild-a' }, [at(2)])).toBe('lock_lost');
    expect(await scripts.finishRebuild('rebuild-a', 'epoch-a')).toBe(false);
    expect(await scripts.checkStore()).toEqual({ complete: false, restored: false });
    // The restored lock is void: the next rebuild needs no TTL to run out, and starts from the restored positions.
    expect(await scripts.lock('rebuild-b', 30_000)).toBe(true);
    expect(Object.fromEntries(await scripts.nextOffsets())).toEqual({ 'test.sales:0': 1 });
    expect(await scripts.apply({ mode: 'rebuild', token: 'rebuild-b' }, [at(1), at(2)])).toBe('ok');
    expect(await scripts.finishRebuild('rebuild-b', 'epoch-b')).toBe(true);
    expect(await scripts.checkStore()).toEqual({ complete: true, restored: false });
  });
});
