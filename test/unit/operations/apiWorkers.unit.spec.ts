// The api worker pool's decisions: how many workers a start forks, and how the primary answers
// a worker's death (another after a doubling pause, or giving up when they keep dying).
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.js';
import {
  afterWorkerDeath,
  apiWorkersToFork,
  CRASH_WINDOW_MS,
  CRASHES_PER_WINDOW_MAX,
  parseApiWorkers,
  RESTART_DELAY_MS_MAX,
  RESTART_DELAY_MS_MIN,
} from '../../../runtime/apiWorkers/policy.js';

describe('--api-workers', () => {
  it.each(['1', '2', '64', ' 8 '])('accepts %j', (text) => {
    expect(parseApiWorkers(text)).toEqual({ ok: true, count: Number(text) });
  });

  it.each(['0', '65', '2.5', '-1', '1e1', 'two', '', '0x2', '1000'])('refuses %j as not a whole number from 1 to 64', (text) => {
    expect(parseApiWorkers(text)).toEqual({ ok: false, message: 'a whole number from 1 to 64' });
  });

  it('reads API_WORKERS with 1 by default and refuses what the flag refuses', () => {
    expect(loadConfig({}).apiWorkers).toBe(1);
    expect(loadConfig({ API_WORKERS: '4' }).apiWorkers).toBe(4);
    for (const bad of ['0', '65', '1.5', 'many']) expect(() => loadConfig({ API_WORKERS: bad })).toThrow(/API_WORKERS/);
  });
});

describe('how many api workers a start forks', () => {
  const all = ['api', 'claims', 'projections'] as const;

  it('forks none for one worker: the api runs in the process itself, as it always has', () => {
    expect(apiWorkersToFork(all, { flag: undefined, configured: 1 })).toBe(0);
    expect(apiWorkersToFork(all, { flag: 1, configured: 8 })).toBe(0);
  });

  it('forks what the flag asks, else what API_WORKERS says', () => {
    expect(apiWorkersToFork(all, { flag: 3, configured: 1 })).toBe(3);
    expect(apiWorkersToFork(all, { flag: undefined, configured: 4 })).toBe(4);
  });

  it('forks none without the api role, ignoring API_WORKERS, and refuses the flag asking for more', () => {
    expect(apiWorkersToFork(['claims'], { flag: undefined, configured: 4 })).toBe(0);
    expect(apiWorkersToFork(['claims'], { flag: 1, configured: 4 })).toBe(0);
    expect(() => apiWorkersToFork(['claims'], { flag: 2, configured: 1 })).toThrow('--api-workers needs the api role among --roles');
  });
});

describe('after an api worker dies', () => {
  it('starts another after RESTART_DELAY_MS_MIN the first time', () => {
    expect(afterWorkerDeath([], 1_000)).toEqual({ crashesAtMs: [1_000], decision: { action: 'restart', delayMs: RESTART_DELAY_MS_MIN } });
  });

  it('doubles the pause with each recent death, up to RESTART_DELAY_MS_MAX', () => {
    let crashes: number[] = [];
    const delays: number[] = [];
    for (let i = 0; i < CRASHES_PER_WINDOW_MAX; i++) {
      const next = afterWorkerDeath(crashes, 10_000 + i);
      crashes = next.crashesAtMs;
      if (next.decision.action === 'restart') delays.push(next.decision.delayMs);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, RESTART_DELAY_MS_MAX, RESTART_DELAY_MS_MAX, RESTART_DELAY_MS_MAX]);
  });

  it('gives up past CRASHES_PER_WINDOW_MAX deaths within the window, saying so', () => {
    const crashes = Array.from({ length: CRASHES_PER_WINDOW_MAX }, (_, i) => 50_000 + i);
    expect(afterWorkerDeath(crashes, 60_000).decision).toEqual({ action: 'give-up', reason: '11 api workers died within 60 s' });
  });

  it('forgets deaths older than the window: a worker dying now and then is restarted at once', () => {
    const old = Array.from({ length: CRASHES_PER_WINDOW_MAX }, (_, i) => i);
    const next = afterWorkerDeath(old, CRASH_WINDOW_MS + 100);
    expect(next).toEqual({ crashesAtMs: [CRASH_WINDOW_MS + 100], decision: { action: 'restart', delayMs: RESTART_DELAY_MS_MIN } });
  });
});
