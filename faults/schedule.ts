// A run's plan, drawn from its seed alone: when shoppers arrive and which nemeses strike when,
// for how long. Pure and deterministic (pure-rand's xoroshiro128+), so `--seed S` replays the
// same schedule; the times are offsets in ms from the sale's start.
import prand from 'pure-rand';

export const ROLE_NAMES = ['api', 'claims', 'projections', 'reconciliation', 'expiry'] as const;
/**
 * The processes of a run: one per role, and on a sharded sale a second decision-maker
 * (`claims-2`, the claims role again), so the sale's shards are shared by two processes and a
 * killed or paused one hands its partitions to the other mid-sale.
 */
export type RoleName = (typeof ROLE_NAMES)[number] | 'claims-2';
export const processesFor = (shards: number): readonly RoleName[] => (shards > 1 ? [...ROLE_NAMES, 'claims-2'] : ROLE_NAMES);
export type ProxiedPart = 'kafka' | 'redis' | 'postgres';
export type ProxyMode = 'latency' | 'reset' | 'blackhole';

export type NemesisKind =
  | { kind: 'kill-role'; role: RoleName }
  | { kind: 'pause-role'; role: RoleName }
  | { kind: 'kill-broker' }
  | { kind: 'pause-broker' }
  | { kind: 'redis-snapshot' }
  | { kind: 'postgres-stop' }
  | { kind: 'proxy'; part: ProxiedPart; mode: ProxyMode; latencyMs: number }
  | { kind: 'clock-shift'; shiftSeconds: number };

/** One fault: it strikes at `atMs` and is healed `durationMs` later (a kill: the restart; a pause: SIGCONT). */
export type Nemesis = NemesisKind & { atMs: number; durationMs: number };

export type RunPlan = {
  seed: number;
  stock: number;
  shoppers: number;
  shards: number;
  /** When each shopper arrives, in ms from the sale's start. */
  arrivalsMs: number[];
  nemeses: Nemesis[];
};

export type PlanOptions = {
  /** How long shoppers keep arriving, and faults keep striking. */
  saleMs: number;
  stock: number;
  shoppers: number;
  /** Whether the Kafka traffic passes a proxy the suite controls (it does when the cluster offers one). */
  kafkaProxied: boolean;
  /** The sale's shards: above one, a second decision-maker runs, and is a nemesis's target too. */
  shards?: number;
};

function generator(seed: number) {
  const rng = prand.xoroshiro128plus(seed);
  const int = (from: number, to: number) => prand.unsafeUniformIntDistribution(from, to, rng);
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  return { int, pick };
}

function drawNemesis(g: ReturnType<typeof generator>, kafkaProxied: boolean, processes: readonly RoleName[]): NemesisKind {
  const parts: ProxiedPart[] = kafkaProxied ? ['kafka', 'redis', 'postgres'] : ['redis', 'postgres'];
  const kinds = [
    'kill-role',
    'pause-role',
    'kill-broker',
    'pause-broker',
    'redis-snapshot',
    'postgres-stop',
    'proxy',
    'clock-shift',
  ] as const;
  const kind = g.pick(kinds);
  switch (kind) {
    case 'kill-role':
    case 'pause-role':
      return { kind, role: g.pick(processes) };
    case 'proxy':
      return { kind, part: g.pick(parts), mode: g.pick(['latency', 'reset', 'blackhole'] as const), latencyMs: g.int(50, 400) };
    case 'clock-shift':
      return { kind, shiftSeconds: g.pick([-301, 301]) };
    case 'kill-broker':
    case 'pause-broker':
    case 'redis-snapshot':
    case 'postgres-stop':
      return { kind };
  }
}

/**
 * The sessions the suite runs its parts with: a consumer group member (a role) and a broker
 * not heard from for this long are taken for dead (the role's partitions go to another
 * member; the broker is fenced and its leaderships move). Kafka's shortest group session
 * (group.min.session.timeout.ms) and a broker session shortened from 9 s, so that a pause
 * of a few seconds outlasts them.
 */
export const SESSION_TIMEOUTS_MS = { role: 6_000, broker: 5_000 } as const;

/** A pause lasts up to this long: past its target's session (and its last heartbeat) more often than not. */
const LONGEST_PAUSE_MS = 10_000;

/**
 * Faults one after the other, never two at once (so each heals before the next strikes and a
 * violation points at one of them): a gap of 1–4 s, then one nemesis lasting 2–6 s (a pause
 * 2–10 s), until the sale's time is up.
 */
export function planRun(seed: number, opts: PlanOptions): RunPlan {
  const g = generator(seed);
  const arrivalsMs = Array.from({ length: opts.shoppers }, () => g.int(0, Math.floor(opts.saleMs * 0.7))).sort((a, b) => a - b);
  const nemeses: Nemesis[] = [];
  for (let at = g.int(1_000, 3_000); ;) {
    const nemesis = drawNemesis(g, opts.kafkaProxied, processesFor(opts.shards ?? 1));
    const paused = nemesis.kind === 'pause-role' || nemesis.kind === 'pause-broker';
    const durationMs = g.int(2_000, paused ? LONGEST_PAUSE_MS : 6_000);
    if (at + durationMs > opts.saleMs) break;
    nemeses.push({ ...nemesis, atMs: at, durationMs });
    at += durationMs + g.int(1_000, 4_000);
  }
  return { seed, stock: opts.stock, shoppers: opts.shoppers, shards: opts.shards ?? 1, arrivalsMs, nemeses };
}

/** One line per nemesis, for logs and violation reports. */
export function describeNemesis(n: Nemesis): string {
  const what =
    n.kind === 'kill-role' || n.kind === 'pause-role'
      ? `${n.kind} ${n.role}`
      : n.kind === 'proxy'
        ? `proxy ${n.part} ${n.mode}${n.mode === 'latency' ? ` ${n.latencyMs} ms` : ''}`
        : n.kind === 'clock-shift'
          ? `clock-shift ${n.shiftSeconds > 0 ? '+' : ''}${n.shiftSeconds} s`
          : n.kind;
  return `@${(n.atMs / 1000).toFixed(1)}s ${what} for ${(n.durationMs / 1000).toFixed(1)}s`;
}
