import { describe, expect, it } from 'vitest';
import { describeNemesis, planRun } from '../../../faults/schedule.js';

const opts = { saleMs: 24_000, stock: 30, shoppers: 300, kafkaProxied: false };

describe('a run plan drawn from a seed', () => {
  it('is the same plan every time for the same seed', () => {
    expect(planRun(42, opts)).toEqual(planRun(42, opts));
  });

  it('differs between seeds', () => {
    expect(planRun(1, opts).nemeses.map(describeNemesis)).not.toEqual(planRun(2, opts).nemeses.map(describeNemesis));
  });

  it('strikes one nemesis at a time, inside the sale, each healed before the next', () => {
    for (let seed = 0; seed < 200; seed++) {
      const { nemeses, arrivalsMs } = planRun(seed, opts);
      expect(nemeses.length).toBeGreaterThan(0);
      expect(arrivalsMs).toHaveLength(opts.shoppers);
      for (const [i, n] of nemeses.entries()) {
        expect(n.atMs + n.durationMs).toBeLessThanOrEqual(opts.saleMs);
        const next = nemeses[i + 1];
        if (next) expect(next.atMs).toBeGreaterThan(n.atMs + n.durationMs);
      }
    }
  });

  it('cuts Kafka traffic only where a proxy carries it', () => {
    const parts = (kafkaProxied: boolean) =>
      Array.from({ length: 300 }, (_, seed) => planRun(seed, { ...opts, kafkaProxied }).nemeses)
        .flat()
        .flatMap((n) => (n.kind === 'proxy' ? [n.part] : []));
    expect(parts(false)).not.toContain('kafka');
    expect(parts(true)).toContain('kafka');
  });

  it('draws every kind of nemesis over enough seeds', () => {
    const kinds = new Set(Array.from({ length: 100 }, (_, seed) => planRun(seed, opts).nemeses.map((n) => n.kind)).flat());
    expect([...kinds].sort()).toEqual(
      ['clock-shift', 'kill-broker', 'kill-role', 'pause-broker', 'pause-role', 'postgres-stop', 'proxy', 'redis-snapshot'].sort(),
    );
  });
});
