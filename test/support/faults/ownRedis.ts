// A redis-server of the test's own, to break: on a free loopback port with its own scratch
// directory, so the test can snapshot it, SIGKILL it and start it again from what is on disk
// without touching the shared Redis. Persistence is explicit:
//   'rdb'  snapshots only when the test calls save() (no automatic save points), so what a
//          restart comes back with is exactly the last save();
//   'aof'  an append-only file fsynced every second, as production would run;
//   'none' nothing on disk: a restart comes back empty.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { onWorkerExit } from './cleanup.js';
import { freePort } from './ports.js';

export type RedisPersistence = 'rdb' | 'none' | 'aof';

export type OwnRedis = {
  url: string;
  port: number;
  dir: string;
  /** SAVE: a snapshot of the data set now, on disk. */
  save(): Promise<void>;
  /** One command on an admin connection of the test's own (CONFIG SET, REPLICAOF, ...), as redis-cli would send it. */
  command(...args: (string | number)[]): Promise<unknown>;
  /** CONFIG SET name value: e.g. maxmemory, to make the server refuse writes (OOM) and accept them again. */
  config(name: string, value: string | number): Promise<void>;
  /** One INFO section as its fields (e.g. 'replication': role, master_link_status, master_repl_offset). */
  info(section: string): Promise<Record<string, string>>;
  /** SIGKILL: no shutdown save, no goodbye to clients. */
  kill(): Promise<void>;
  /** Starts the server again on the same port from what is on disk. */
  restart(): Promise<void>;
  /** Stops the server (if running) and removes its scratch directory. */
  stop(): Promise<void>;
};

function argsFor(port: number, dir: string, persistence: RedisPersistence, maxmemory?: string): string[] {
  return [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--dbfilename', 'dump.rdb',
    '--save', '',
    '--appendonly', persistence === 'aof' ? 'yes' : 'no',
    '--appendfsync', 'everysec',
    '--protected-mode', 'no',
    '--daemonize', 'no',
    '--logfile', path.join(dir, 'redis.log'),
    ...(maxmemory ? ['--maxmemory', maxmemory, '--maxmemory-policy', 'noeviction'] : []),
  ]; // prettier-ignore
}

async function ping(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      // LOADING (an AOF or RDB being read) answers an error: wait until it answers PONG.
      if ((await client.ping()) === 'PONG') return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`redis at ${url} did not answer within ${timeoutMs} ms: ${(err as Error).message}`);
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startOwnRedis({
  persistence,
  maxmemory,
}: {
  persistence: RedisPersistence;
  /** e.g. '64mb'; with noeviction, writes beyond it are refused (OOM) rather than keys evicted. */
  maxmemory?: string;
}): Promise<OwnRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  const forget = onWorkerExit(() => {
    server?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function launch(): Promise<void> {
    const child = spawn('redis-server', argsFor(port, dir, persistence, maxmemory), { stdio: 'ignore' });
    server = child;
    const exitedEarly = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => {
        if (server === child) server = undefined;
        reject(new Error(`redis-server on ${port} exited (${code ?? signal}); see ${dir}/redis.log`));
      }),
    );
    exitedEarly.catch(() => undefined);
    await Promise.race([ping(url, 15_000), exitedEarly]);
  }

  async function halt(signal: NodeJS.Signals): Promise<void> {
    const child = server;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    server = undefined;
  }

  async function command(...args: (string | number)[]): Promise<unknown> {
    const client = new Redis(url, { maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      const [name, ...rest] = args;
      return await client.call(String(name), ...rest);
    } finally {
      client.disconnect();
    }
  }

  await launch();
  return {
    url,
    port,
    dir,
    async save() {
      await command('SAVE');
    },
    command,
    async config(name, value) {
      await command('CONFIG', 'SET', name, value);
    },
    async info(section) {
      const text = String(await command('INFO', section));
      return Object.fromEntries(
        text.split('\r\n').flatMap((line) => (/^\w+:/.test(line) ? [line.split(/:(.*)/s, 2) as [string, string]] : [])),
      );
    },
    kill: () => halt('SIGKILL'),
    async restart() {
      await halt('SIGKILL');
      await launch();
    },
    async stop() {
      await halt('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
      forget();
    },
  };
}

/** Resolves once a restarted server answers the client's PING again (about 5 s at most). */
export async function waitForServer(client: Pick<Redis, 'ping'>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await client.ping().catch(() => undefined)) === 'PONG') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the restarted Redis did not answer');
}
