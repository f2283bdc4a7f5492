// `flashsale start --api-workers 2` on the real stack: the api served by two worker processes
// sharing PORT, a claim decided through them and counted once on the operations port, a worker
// killed -9 replaced while the api keeps answering, and SIGTERM ending every process, exit 0.
// Which process answered is read from its access log line (pino's pid, matched by X-Request-Id).
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, ensureSchema } from '../../../platform/postgres.js';
import { createRedis, type Redis } from '../../../platform/redis.js';
import { signUserToken } from '../../../producers/http/auth.js';
import { createSaleStore } from '../../../writeModel/saleStore.js';
import { runChild, type Child } from '../../support/childProcess.js';
import { freePort } from '../../support/faults/ports.js';
import { openTestStack, type TestStack } from '../../support/realStack.js';
import { waitFor } from '../../support/waitFor.js';
import { client, scheduleSale } from '../storefront/storefrontClient.js';

let stack: TestStack;
let redis: Redis;
let child: Child;
let port: number;
let opsPort: number;
let workerPids: number[];
let env: Record<string, string>;

beforeAll(async () => {
  stack = await openTestStack('apiworkers');
  const schema = stack.prefix.replace(/[^a-z0-9]/g, '_');
  const admin = createDb(stack.config.databaseUrl);
  await ensureSchema(admin, schema);
  await admin.end();
  redis = createRedis(stack.config.redisUrl);
  [port, opsPort] = await Promise.all([freePort(), freePort()]);
  env = {
    TOPIC_PREFIX: stack.prefix,
    PORT: String(port),
    OPS_PORT: String(opsPort),
    DATABASE_URL: `${stack.config.databaseUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    LOG_LEVEL: 'info',
    RATE_LIMIT_USER_PER_SEC: '1000',
  };
  child = runChild('bin/flashsale.js', env, undefined, ['start', '--roles', 'api,claims,projections', '--api-workers', '2']);
  const listening = await child.line((l) => l.msg === 'api workers listening', 170_000);
  workerPids = listening.pids as number[];
});
afterAll(async () => {
  child?.process.kill('SIGKILL');
  for (const pid of workerPids ?? []) killQuietly(pid);
  redis?.disconnect();
  await stack?.close();
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone, as it should be.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let requests = 0;
/** GETs /openapi.json on a connection of its own (the primary hands each connection to one worker); its status and the pid that answered. */
async function ask(): Promise<{ status: number; pid: number }> {
  const requestId = `aw-${++requests}`;
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/openapi.json', agent: false, headers: { 'x-request-id': requestId } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
  });
  const logged = await child.line((l) => (l.req as { id?: unknown } | undefined)?.id === requestId, 10_000);
  return { status, pid: logged.pid as number };
}

async function askMany(n: number): Promise<{ statuses: Set<number>; pids: Set<number> }> {
  const answers: { status: number; pid: number }[] = [];
  for (let i = 0; i < n; i++) answers.push(await ask());
  return { statuses: new Set(answers.map((a) => a.status)), pids: new Set(answers.map((a) => a.pid)) };
}

/** Resolves once the child has exited and its output has all been read ('exit' may come before the last lines). */
const closed = (c: Child) => new Promise<number | null>((resolve) => c.process.once('close', (code: number | null) => resolve(code)));

const metrics = () => fetch(`http://127.0.0.1:${opsPort}/metrics`).then((r) => r.text());

describe('flashsale start --api-workers 2', () => {
  it('serves the api from two worker processes, neither of them the first process', async () => {
    expect(workerPids).toHaveLength(2);
    expect(workerPids).not.toContain(child.process.pid);
    const { statuses, pids } = await askMany(6);
    expect(statuses).toEqual(new Set([200]));
    expect(pids).toEqual(new Set(workerPids));
  });

  it('decides a claim through the workers and counts it once on the operations port', async () => {
    const store = createSaleStore({ redis, topicPrefix: stack.prefix });
    expect(await store.waitUntilReady(60_000)).toBe(true);
    await store.close();
    const call = client({ baseUrl: `http://127.0.0.1:${port}` });
    const operator = await signUserToken(stack.config, 'operator-1', { operator: true });
    const shopper = await signUserToken(stack.config, 'u-workers');
    const { saleId, answer } = await scheduleSale(call, operator, { stock: 3 });
    expect(answer.status).toBe(201);
    const entry = await call('POST', `/sales/${saleId}/entries`, { token: shopper });
    expect(entry.status).toBe(201);
    const body = { transactionId: entry.body.transactionId, quantity: 1 };
    const claim = () => call('POST', `/sales/${saleId}/claims`, { token: shopper, body, headers: { prefer: 'wait=5' } });
    let decided = await claim();
    for (let i = 0; i < 6 && decided.status === 202; i++) decided = await claim();
    expect(decided.status).toBe(201);
    expect(decided.body).toMatchObject({ transactionId: body.transactionId, status: 'granted', quantity: 1 });

    // Both workers read the same stock: summed it would read 4, taken once it reads 2.
    const stock = new RegExp(`^flashsale_sale_stock_remaining\\{sale="${saleId}",status="open"\\} (\\d+)$`, 'm');
    const text = await waitFor(
      async () => {
        const scraped = await metrics();
        return scraped.match(stock)?.[1] === '2' ? scraped : undefined;
      },
      {
        timeoutMs: 20_000,
        what: 'the stock left, 2, on the operations port',
      },
    );
    // The claim was answered by one worker and counted there; the primary, with no api, counts none.
    expect(text).toMatch(/^flashsale_http_claims_total\{outcome="granted"[^}]*\} 1$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });

  it('replaces a worker killed with SIGKILL, answering all the while', async () => {
    const [killed, survivor] = workerPids as [number, number];
    process.kill(killed, 'SIGKILL');
    const died = await child.line((l) => l.msg === 'api worker died; starting another' && l.workerPid === killed);
    expect(died).toMatchObject({ signal: 'SIGKILL', restartInMs: 100 });
    // While the replacement starts, the survivor answers every request.
    const meanwhile = await askMany(4);
    expect(meanwhile.statuses).toEqual(new Set([200]));
    expect(meanwhile.pids).toEqual(new Set([survivor]));

    const replaced = await child.line((l) => l.msg === 'api worker replaced', 120_000);
    const replacement = replaced.workerPid as number;
    expect(replacement).not.toBe(killed);
    workerPids = [survivor, replacement];
    const after = await askMany(6);
    expect(after.statuses).toEqual(new Set([200]));
    expect(after.pids).toEqual(new Set(workerPids));
  });

  it('ends every process on SIGTERM, workers first, with exit 0', async () => {
    const output = closed(child);
    child.process.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    await output;
    for (const pid of workerPids) expect(alive(pid)).toBe(false);
    const stopped = child.lines.filter((l) => l.msg === 'stopped').map((l) => l.pid);
    // Each worker said it stopped, then the first process, last.
    expect(stopped).toHaveLength(3);
    expect(new Set(stopped.slice(0, 2))).toEqual(new Set(workerPids));
    expect(stopped[2]).toBe(child.process.pid);
  });
});

describe('flashsale start --api-workers, refused', () => {
  it.each([
    [['--api-workers', '0'], "error: option '--api-workers <n>' argument '0' is invalid. a whole number from 1 to 64"],
    [['--api-workers', '65'], "error: option '--api-workers <n>' argument '65' is invalid. a whole number from 1 to 64"],
    [['--api-workers', '1.5'], "error: option '--api-workers <n>' argument '1.5' is invalid. a whole number from 1 to 64"],
    [['--roles', 'claims', '--api-workers', '2'], 'flashsale: --api-workers needs the api role among --roles'],
  ])('%j exits 1 with the reason', async (args, reason) => {
    const refused = runChild('bin/flashsale.js', {}, undefined, ['start', ...args]);
    let stderr = '';
    refused.process.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await closed(refused)).toBe(1);
    expect(stderr.split('\n')[0]).toBe(reason);
  });

  // express 5 calls listen's callback with the error too: the api once said it listened, and served nothing.
  it.each([
    [[], /^flashsale: listen EADDRINUSE: address already in use 0\.0\.0\.0:\d+$/],
    [['--api-workers', '2'], /^flashsale: api worker \d+ exited \(1\) before it listened$/],
  ])('%j on a PORT already taken exits 1 with the reason', async (args, reason) => {
    const taken = await freePort();
    const blocker = net.createServer().listen(taken, '0.0.0.0');
    try {
      const refused = runChild('bin/flashsale.js', { ...env, PORT: String(taken), OPS_PORT: '0' }, undefined, [
        'start',
        '--roles',
        'api',
        ...args,
      ]);
      let stderr = '';
      refused.process.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      expect(await closed(refused)).toBe(1);
      expect(stderr.trim().split('\n').at(-1)).toMatch(reason);
    } finally {
      blocker.close();
    }
  });
});
