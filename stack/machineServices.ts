// Redis and PostgreSQL are the machine's own servers (Debian's packages). The stack uses
// them as they are, and starts (or installs) one only where it does not answer.
import fs from 'node:fs';
import pg from 'pg';
import { Redis } from 'ioredis';
import { commandExists, run } from './process.js';

export const REDIS_PORT = 6379;
export const POSTGRES_PORT = 5432;
export const DATABASE = 'flashsale';

export async function redisAnswers(): Promise<boolean> {
  const redis = new Redis({
    host: '127.0.0.1',
    port: REDIS_PORT,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } finally {
    redis.disconnect();
  }
}

export async function postgresAnswers(database = 'postgres'): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port: POSTGRES_PORT, user: 'postgres', database, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function aptInstall(pkg: string): void {
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', pkg], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

export function startRedis(): void {
  if (!commandExists('redis-server')) aptInstall('redis-server');
  fs.mkdirSync('/var/lib/redis', { recursive: true });
  // As the machine starts it: loopback only, nothing kept on disk.
  run('redis-server', [
    '--daemonize',
    'yes',
    '--bind',
    '127.0.0.1',
    '--port',
    String(REDIS_PORT),
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    '/var/lib/redis',
  ]);
}

export function startPostgres(): void {
  if (!fs.existsSync('/etc/postgresql')) aptInstall('postgresql');
  for (const version of fs.readdirSync('/etc/postgresql')) {
    run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
  }
}

export async function ensureDatabase(): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port: POSTGRES_PORT, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount)
      await client.query(`create database ${DATABASE}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile by a concurrent `up`
      });
  } finally {
    await client.end();
  }
}
