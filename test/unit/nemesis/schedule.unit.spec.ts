import { describe, expect, it } from 'vitest';
import { describeNemesis, planRun, SESSION_TIMEOUTS_MS } from '../../../faults/schedule.js';

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

  it('plans a sale of one shard as before shards existed (the recorded seeds replay), and on a sharded sale strikes the second decision-maker too', () => {
    for (let seed = 0; seed < 50; seed++) expect(planRun(seed, { ...opts, shards: 1 })).toEqual(planRun(seed, opts));
    const struck = (shards: number) =>
      new Set(
        Array.from({ length: 300 }, (_, seed) => planRun(seed, { ...opts, shards }).nemeses)
          .flat()
          .flatMap((n) => (n.kind === 'kill-role' || n.kind === 'pause-role' ? [n.role] : [])),
      );
    expect(struck(1)).not.toContain('claims-2');
    expect(struck(3)).toContain('claims-2');
    expect(planRun(7, { ...opts, shards: 3 }).shards).toBe(3);
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

  it('pauses roles and brokers past their sessions in a good share of runs, and shorter in others', () => {
    const pauses = Array.from({ length: 300 }, (_, seed) => planRun(seed, opts).nemeses).flat();
    for (const [kind, session] of [
      ['pause-role', SESSION_TIMEOUTS_MS.role],
      ['pause-broker', SESSION_TIMEOUTS_MS.broker],
    ] as const) {
      const lengths = pauses.filter((n) => n.kind === kind).map((n) => n.durationMs);
      const past = lengths.filter((ms) => ms > session).length;
      expect(past, kind).toBeGreaterThan(lengths.length / 4);
      expect(past, kind).toBeLessThan(lengths.length);
    }
  });
});
