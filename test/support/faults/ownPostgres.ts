// A PostgreSQL cluster of the test's own, to stop and start while the system runs: initdb on
// a scratch directory, pg_ctl on a free loopback port, trust authentication, a `flashsale`
// database. We run as root and PostgreSQL refuses to, so every server command runs as the
// `postgres` OS user, who owns the scratch directory.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { onWorkerExit } from './cleanup.js';
import { freePort } from './ports.js';

const run = promisify(execFile);
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const OS_USER = 'postgres';

export type OwnPostgres = {
  /** postgres://postgres@127.0.0.1:<port>/flashsale */
  databaseUrl: string;
  port: number;
  /** pg_ctl stop: 'fast' ends every session (clients see "terminated unexpectedly"); 'immediate' is a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** pg_ctl start, waiting until it accepts connections. */
  start(): Promise<void>;
  /** Stops the cluster (if running) and removes its directory. */
  destroy(): Promise<void>;
};

function asPostgres(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('runuser', ['-u', OS_USER, '--', path.join(BIN, command), ...args], { timeout: 60_000 });
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-pg-'));
  const data = path.join(dir, 'data');
  const { uid, gid } = osUser();
  fs.chownSync(dir, uid, gid);
  let running = false;
  const forget = onWorkerExit(() => {
    if (running) {
      try {
        execFileSync('runuser', ['-u', OS_USER, '--', path.join(BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'], {
          stdio: 'ignore',
        });
      } catch {
        // already down
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`;

  async function start(): Promise<void> {
    await asPostgres('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
    running = true;
  }
  async function stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!running) return;
    await asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    running = false;
  }

  await start();
  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await admin.connect();
  try {
    await admin.query('create database flashsale');
  } finally {
    await admin.end();
  }
  return {
    databaseUrl: `postgres://postgres@127.0.0.1:${port}/flashsale`,
    port,
    stop,
    start,
    async destroy() {
      await stop('immediate').catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
      forget();
    },
  };
}

function osUser(): { uid: number; gid: number } {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${OS_USER}:`));
  if (!line) throw new Error(`no OS user ${OS_USER}: PostgreSQL will not run as root`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
