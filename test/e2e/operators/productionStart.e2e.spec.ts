// `flashsale start` with NODE_ENV=production, as the Docker image runs it: it refuses to start
// on any secret unset, a development default or too short, and on too easy a proof of work,
// exiting non-zero with one line that names the variable; with all of them strong it serves.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig, PRODUCTION_CHALLENGE_FLOOR, PRODUCTION_SECRET_MIN_BYTES } from '../../../platform/config.js';
import { createDb, ensureSchema } from '../../../platform/postgres.js';
import { freshPrefix } from '../../support/realStack.js';
import { waitFor } from '../../support/waitFor.js';

const strong = (label: string) => `${label}-`.padEnd(PRODUCTION_SECRET_MIN_BYTES + 8, 'k');
/** Production with every secret strong: each case spoils one variable. */
const production = {
  NODE_ENV: 'production',
  AUTH_SECRET: strong('auth'),
  PAYMENT_TOKEN_KEY: strong('payment'),
  PARTNER_SECRETS: `demo-pay:${strong('demo-pay')}`,
  CHALLENGE_MAX_NUMBER: String(PRODUCTION_CHALLENGE_FLOOR),
};
/** The variables a developer's shell may already hold, none of them inherited here. */
const SECRETS = ['AUTH_SECRET', 'PAYMENT_TOKEN_KEY', 'PARTNER_SECRETS', 'CHALLENGE_MAX_NUMBER', 'AUTH_JWKS_URL', 'AUTH_PUBLIC_KEY'];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function startCommand(env: Record<string, string | undefined>, args = ['start']) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SECRETS.includes(k)));
  const child = spawn(process.execPath, ['bin/flashsale.js', ...args], {
    env: { ...inherited, TOPIC_PREFIX: freshPrefix('prodstart'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** How a command that should refuse at once ended: its exit code, or 'still running' (then stopped). */
async function refusedWith(run: ReturnType<typeof startCommand>): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 30_000)));
  try {
    return await Promise.race([run.exited, late]);
  } finally {
    clearTimeout(timer);
    // Before the change it served: never leave it running.
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  }
}

describe('flashsale start with NODE_ENV=production', () => {
  it.each([
    ['AUTH_SECRET', { AUTH_SECRET: undefined }, 'is not set'],
    ['AUTH_SECRET', { AUTH_SECRET: 'flashsale-dev-auth-secret-do-not-use-in-production' }, 'is the development default'],
    ['AUTH_SECRET', { AUTH_SECRET: 'only-twenty-bytes-xx' }, 'is 20 bytes long'],
    ['PAYMENT_TOKEN_KEY', { PAYMENT_TOKEN_KEY: undefined }, 'is not set'],
    ['PAYMENT_TOKEN_KEY', { PAYMENT_TOKEN_KEY: 'short-payment-key' }, 'is 17 bytes long'],
    ['PARTNER_SECRETS', { PARTNER_SECRETS: undefined }, 'the secret of partner demo-pay is the development default'],
    ['PARTNER_SECRETS', { PARTNER_SECRETS: `demo-pay:${strong('x')},other-pay:tiny` }, 'the secret of partner other-pay is 4 bytes long'],
    ['CHALLENGE_MAX_NUMBER', { CHALLENGE_MAX_NUMBER: undefined }, 'is 10000, under the proof-of-work floor of 100000'],
  ])('refuses %s (%j): exit 1, one line naming it', async (name, spoiled, reason) => {
    const run = startCommand({ ...production, ...spoiled });
    const code = await refusedWith(run);
    const { stdout, stderr } = run.output();
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^flashsale: refusing to run in production \(NODE_ENV=production\): /);
    expect(lines[0]).toContain(name);
    expect(lines[0]).toContain(reason);
  });

  it('refuses every role alone, and `flashsale token`, the same way', async () => {
    for (const args of [
      ['start', '--roles', 'claims'],
      ['token', '--user', 'u-1', '--operator'],
    ]) {
      const run = startCommand({ ...production, AUTH_SECRET: undefined }, args);
      expect(await refusedWith(run)).toBe(1);
      expect(run.output().stderr.trim()).toMatch(/^flashsale: refusing to run in production .*AUTH_SECRET is not set$/);
    }
  });

  it('serves with every secret strong and the proof of work at the floor, and stops on SIGTERM', async () => {
    const port = await freePort();
    // Its own schema, as the api migrates its tables at start.
    const schema = freshPrefix('prodstart').replace(/[^a-z0-9]/g, '_');
    const { databaseUrl } = loadConfig();
    const admin = createDb(databaseUrl);
    await ensureSchema(admin, schema);
    await admin.end();
    const run = startCommand(
      {
        ...production,
        PORT: String(port),
        // Any free operations port: the default one may be another process's on this machine.
        OPS_PORT: '0',
        LOG_LEVEL: 'warn',
        DATABASE_URL: `${databaseUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
      },
      ['start', '--roles', 'api'],
    );
    try {
      await waitFor(
        async () => {
          if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode}: ${run.output().stderr}`);
          return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true;
        },
        { timeoutMs: 60_000, what: 'the api to listen' },
      );
      // Nothing left to warn about.
      expect(run.output().stdout).not.toMatch(/development default/);
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
  });
});
