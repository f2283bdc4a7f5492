// What one accepted claim costs in CPU, process by process, comparing api builds side by side:
// one api process per source tree (this checkout and, say, an older commit unpacked elsewhere)
// on one shared deployment (the other roles in one process), loaded in alternating rounds
// (A B B A ...), so the shared machine's noise falls on every build alike. For each round:
// the api's CPU during the load per 202, and the whole system's (api, the other roles, Kafka,
// the registry, Redis, PostgreSQL) from the load's start until every consumer caught up.
//   tsx bench/claimCpu.ts '{"trees":{"base":"/tmp/flashsale-base","new":"."},"rounds":3,"claims":6000,"profile":true}'
// With `profile`, each api runs under --cpu-prof (profiles in the work directory; see
// profileSummary.ts). Drops its topics, keys and schema at the end.
import fs from 'node:fs';
import path from 'node:path';
import { keyPrefix } from '../platform/redis.js';
import { topicName, topics } from '../schemas/topics.js';
import { createSales, runLoad, sutEnv } from './context.js';
import { openBenchSession } from './session.js';
import { snapshot } from './cpu.js';
import { childNames, killAll, startServer, type Child } from './processes.js';
import { prepareClaims } from './prepare.js';
import { waitForQuiet } from './quiet.js';
import { startRedisOnly } from './scenarios/redisOnly.js';

type Options = {
  trees: Record<string, string>;
  rounds?: number;
  claims?: number;
  warmup?: number;
  connections?: number;
  profile?: boolean;
  /** Claims offered per second in the measured rounds (warm-ups run flat out); omitted: saturation. */
  rate?: number;
  /** More flags for node in the api processes (e.g. --heap-prof). */
  nodeFlags?: string[];
  /** Also measure the Redis-only baseline (bench/baselines/redisOnlyServer.ts) in each round, for the ratio the bench targets. */
  redisOnly?: boolean;
  /** Stop the other roles once the sales are prepared: the api's CPU alone, without the decisions competing for the cores. */
  apiOnly?: boolean;
};
const opts = JSON.parse(process.argv[2] ?? '{}') as Options;
const trees = Object.entries(opts.trees ?? { new: '.' }).map(([name, dir]) => ({ name, dir: path.resolve(dir) }));
const rounds = opts.rounds ?? 3;
const claims = opts.claims ?? 6_000;
const warmup = opts.warmup ?? 4_000;
const connections = opts.connections ?? 200;

const { ctx, pg } = await openBenchSession('claimcpu', { layout: 'split', profile: false, scale: 1 });
const { prefix, schema, workDir, config, platform, admin } = ctx;
const say = (line: string) => ctx.say(line);
say(`prefix ${prefix}, work files in ${workDir}`);

const children: Child[] = [];
async function start(name: string, dir: string, roles: string[], profile: boolean): Promise<Child> {
  const child = await startServer({
    name,
    script: path.join(dir, 'bench', 'sut.ts'),
    arg: { roles, dbSchema: schema },
    env: sutEnv(prefix),
    logDir: workDir,
    nodeFlags: [
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(workDir, `profiles-${name}`)}`] : []),
      ...(roles.includes('api') ? (opts.nodeFlags ?? []) : []),
    ],
  });
  children.push(child);
  return child;
}

async function ready(port: unknown): Promise<string> {
  const base = `http://127.0.0.1:${String(port)}`;
  const by = Date.now() + 120_000;
  while (
    !(await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > by) throw new Error(`${base} not ready within 120 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return base;
}

/** CPU seconds per process group between two snapshots (USER_HZ ticks, 100 a second on Linux). */
function cpuSecondsBetween(before: ReturnType<typeof snapshot>, after: ReturnType<typeof snapshot>): Map<string, number> {
  const used = new Map<string, number>();
  for (const [pid, a] of after.ticks) used.set(a.group, (used.get(a.group) ?? 0) + (a.ticks - (before.ticks.get(pid)?.ticks ?? 0)) / 100);
  return used;
}

type Row = {
  tree: string;
  round: number;
  accepted: number;
  rps: number;
  apiMicros: number;
  systemMicros: number;
  byGroup: Record<string, number>;
};
const rows: Row[] = [];
const STACK = new Set(['kafka', 'registry', 'redis', 'postgres', 'sut-rest']);

/**
 * Brokers and Redis servers that are not the shared stack's (a neighbour's fault suite runs
 * its own): named apart, so the stack's groups hold the stack alone. PostgreSQL is one server
 * for everyone and cannot be told apart.
 */
function neighbours(): Map<number, string> {
  const named = new Map<number, string>();
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    const cmdline = (() => {
      try {
        return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        return '';
      }
    })();
    const foreignBroker = cmdline.includes('kafka.Kafka') && !cmdline.includes('.flashsale/stack/server.properties');
    const foreignRedis = cmdline.startsWith('redis-server') && !cmdline.includes(':6379');
    if (foreignBroker || foreignRedis) named.set(Number(d), 'neighbour');
  }
  return named;
}

try {
  const rest = await start(
    'sut-rest',
    trees[0]!.dir,
    ['claims', 'projections', 'reconciliation', 'expiry'],
    (opts.profile ?? false) && !opts.apiOnly,
  );
  const apis = new Map<string, { child: Child; base: string }>();
  for (const t of trees) {
    const child = await start(`api-${t.name}`, t.dir, ['api'], opts.profile ?? false);
    apis.set(t.name, { child, base: await ready(child.hello.port) });
  }
  const plans = [
    ...trees.map((t) => ({ key: `warmup-${t.name}`, tree: t.name, round: 0, claims: warmup })),
    ...Array.from({ length: rounds }, (_, r) => {
      // A B, B A, A B, ...: neither build always runs first.
      const order = r % 2 === 0 ? trees : [...trees].reverse();
      return order.map((t) => ({ key: `r${r + 1}-${t.name}`, tree: t.name, round: r + 1, claims }));
    }).flat(),
  ];
  const saleOf = (key: string) => `${prefix}-${key}`;
  await createSales(
    ctx,
    apis.get(trees[0]!.name)!.base,
    plans.map((p) => ({ saleId: saleOf(p.key), stock: p.claims, perUserLimit: 1 })),
  );
  for (const p of plans)
    await prepareClaims({
      publisher: platform.publisher,
      store: ctx.store,
      identity: config,
      saleId: saleOf(p.key),
      users: Math.ceil(p.claims / 2),
      transactionsPerUser: 2,
      file: path.join(workDir, `claims-${p.key}.json`),
    });
  await waitForQuiet(admin, prefix, { timeoutMs: 300_000, expectGroups: 3 });
  say(`${plans.length} sales prepared`);
  if (opts.apiOnly) await rest.stop();
  const redisOnly = opts.redisOnly ? await startRedisOnly(ctx, path.join(workDir, `claims-${plans.at(-1)!.key}.json`)) : undefined;
  const others = neighbours();

  for (const p of plans) {
    const api = apis.get(p.tree)!;
    const groups = () =>
      new Map([...others, ...[...childNames()].map(([pid, name]) => [pid, name === api.child.name ? 'api' : name] as const)]);
    const before = snapshot(groups());
    const load = await runLoad(ctx, {
      name: p.key,
      baseUrl: api.base,
      path: `/sales/${saleOf(p.key)}/claims`,
      claimsFile: path.join(workDir, `claims-${p.key}.json`),
      connections,
      amount: p.claims,
      // A fixed offered rate keeps how many claims share an event-loop turn (and a Kafka batch)
      // the same for every build, whatever the machine's neighbours leave to the api.
      ...(opts.rate && p.round > 0 ? { overallRate: opts.rate, phases: 10 } : {}),
    });
    if (!opts.apiOnly) await waitForQuiet(admin, prefix, { timeoutMs: 300_000, expectGroups: 3 });
    const accepted = load.statusCodes['202'] ?? 0;
    // From the load's start until the consumers caught up, per claim accepted, from the raw
    // ticks (cpu.ts rounds its shares to a hundredth of a core, ~10 µs a claim here).
    const byGroup: Record<string, number> = {};
    for (const [g, seconds] of cpuSecondsBetween(before, snapshot(groups())))
      if (g === 'api' || STACK.has(g)) byGroup[g] = Math.round((seconds * 1e6) / Math.max(1, accepted));
    const row: Row = {
      tree: p.tree,
      round: p.round,
      accepted,
      rps: Math.round(load.rps),
      apiMicros: byGroup.api ?? 0,
      systemMicros: Object.values(byGroup).reduce((a, b) => a + b, 0),
      byGroup,
    };
    rows.push(row);
    say(
      `${p.key}: ${JSON.stringify(load.statusCodes)} ${row.rps}/s, api ${row.apiMicros} µs/claim, system ${row.systemMicros} µs/claim ${JSON.stringify(byGroup)}`,
    );
    // After the round's last build: the Redis-only baseline under the same machine state.
    if (redisOnly && p.round > 0 && p.tree === (p.round % 2 === 1 ? trees.at(-1)!.name : trees[0]!.name)) {
      const r = await redisOnly.round(`r${p.round}-redis-only`, claims);
      const micros = ((r.cpu.cores['baseline-redis-only'] ?? 0) / Math.max(1, r.rps)) * 1e6;
      rows.push({
        tree: 'redis-only',
        round: p.round,
        accepted: r.requests,
        rps: Math.round(r.rps),
        apiMicros: Math.round(micros),
        systemMicros: 0,
        byGroup: {},
      });
      say(`r${p.round}-redis-only: ${JSON.stringify(r.statusCodes)} ${Math.round(r.rps)}/s, server ${Math.round(micros)} µs/request`);
    }
  }
  await redisOnly?.stop();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;
  for (const t of [...trees, ...(redisOnly ? [{ name: 'redis-only' }] : [])]) {
    const measured = rows.filter((r) => r.tree === t.name && r.round > 0);
    say(
      `${t.name}: median api ${median(measured.map((r) => r.apiMicros))} µs/claim, system ${median(measured.map((r) => r.systemMicros))} µs/claim, ` +
        `${median(measured.map((r) => r.rps))}/s (rounds: ${measured.map((r) => r.apiMicros).join(', ')})`,
    );
  }
  fs.writeFileSync(path.join(workDir, 'rows.json'), JSON.stringify(rows, null, 2));
} finally {
  for (const c of children.reverse()) await c.stop().catch(() => undefined);
  killAll();
  await ctx.store.close().catch(() => undefined);
  const existing = new Set(await admin.listTopics());
  await admin.deleteTopics({ topics: topics.map((t) => topicName(prefix, t.name)).filter((n) => existing.has(n)) }).catch(() => undefined);
  for await (const keys of platform.redis.scanStream({ match: `${keyPrefix(prefix)}*`, count: 1000 }))
    if ((keys as string[]).length) await platform.redis.unlink(...(keys as string[]));
  await pg.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
  await admin.disconnect();
  await platform.close();
  await pg.end();
  say(`profiles and logs in ${workDir}`);
}
process.exit(0);
