// `npx tsx bench/decideCost.ts [claims] [rounds]`: what the decision script costs Redis, alone.
// A redis-server of its own on a scratch port (nothing else on it), one sale with a slot per
// claim, the claims decided in batches of 500 as the decision-maker sends them; the server's
// CPU (utime + stime from /proc) per decision, the median of several rounds. Read it as a
// comparison between two versions of the script on the same machine, never as an absolute.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createInventoryScripts, type Claim } from '../writeModel/inventoryScripts.js';
import { inventoryKeys } from '../writeModel/keys.js';
import { benchSale } from './shardLayout.js';

const CLAIMS = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const BATCH = 500;
const EPOCH = 'decide-cost';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });

/** The server's CPU so far, in µs (clock ticks of 10 ms on Linux). */
function cpuMicros(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function round(redis: Redis, pid: number, n: number): Promise<{ micros: number; granted: number }> {
  const topicPrefix = `cost${n}`;
  const keys = inventoryKeys(topicPrefix);
  const run = /run_id:(\w+)/.exec(await redis.info('server'))![1];
  const replication = /master_replid:(\w+)/.exec(await redis.info('replication'))![1];
  await redis.mset(keys.ready, EPOCH, keys.readyRun, `${run}:${replication}`);
  const scripts = createInventoryScripts(redis, topicPrefix);
  const sale = benchSale(`cost-${n}`, CLAIMS, { now: Date.now(), newId: () => crypto.randomUUID() });
  await scripts.apply({ mode: 'direct' }, [{ event: sale }]);
  const claims: Claim[] = Array.from({ length: CLAIMS }, (_, i) => ({
    transactionId: crypto.randomUUID(),
    saleId: sale.saleId,
    userId: `u${i}`,
    quantity: 1,
    claimEventId: crypto.randomUUID(),
    shard: 0,
    hops: 0,
  }));
  const before = cpuMicros(pid);
  let granted = 0;
  for (let i = 0; i < claims.length; i += BATCH) {
    const r = await scripts.decide(EPOCH, Date.now(), claims.slice(i, i + BATCH));
    if (r.kind !== 'ok') throw new Error(r.kind);
    granted += r.value.filter((d) => d.type === 'ClaimGranted').length;
  }
  return { micros: (cpuMicros(pid) - before) / CLAIMS, granted };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'decide-cost-'));
const port = await freePort();
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], {
  stdio: 'ignore',
});
const redis = new Redis({ port, host: '127.0.0.1', retryStrategy: (n) => (n > 50 ? null : 100) });
redis.on('error', () => undefined); // the server's start, before it listens
try {
  await redis.ping();
  const rounds: number[] = [];
  for (let n = 0; n < ROUNDS; n++) {
    const { micros, granted } = await round(redis, server.pid!, n);
    if (granted !== CLAIMS) throw new Error(`round ${n}: ${granted} granted of ${CLAIMS}`);
    rounds.push(micros);
    await redis.flushall();
  }
  const sorted = [...rounds].sort((a, b) => a - b);
  console.log(
    `Redis CPU per granted decision: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} µs ` +
      `(rounds ${rounds.map((r) => r.toFixed(1)).join(', ')}; ${CLAIMS} claims each, batches of ${BATCH})`,
  );
} finally {
  await redis.quit();
  server.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
}
