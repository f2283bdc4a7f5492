// `flashsale start` is the long-running system: roles in their own process, and SIGTERM
// ends it gracefully, with the batch in hand finished and its offsets committed.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerLag } from '../../../platform/kafka/lag.js';
import { createDb, ensureSchema } from '../../../platform/postgres.js';
import { consumerGroupId } from '../../../platform/kafka/groupId.js';
import { transactionsSubscription } from '../../../projections/transactions/consumer.js';
import { topicName } from '../../../schemas/topics.js';
import { freshPrefix, openTestStack, type TestStack } from '../../support/realStack.js';
import { sampleEvents } from '../../support/sampleEvents.js';
import { waitFor } from '../../support/waitFor.js';

let stack: TestStack;
const prefix = freshPrefix('start');
const schema = prefix.replace(/[^a-z0-9]/g, '_');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

beforeAll(async () => {
  stack = await openTestStack('start', prefix);
  const admin = createDb(stack.config.databaseUrl);
  await ensureSchema(admin, schema);
  await admin.end();
});
afterAll(async () => {
  await stack.close();
});

describe('flashsale start', () => {
  it('runs the chosen roles and, on SIGTERM, finishes its batch, commits and exits 0', async () => {
    const port = await freePort();
    const opsPort = await freePort();
    const databaseUrl = `${stack.config.databaseUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const child = spawn(process.execPath, ['bin/flashsale.js', 'start', '--roles', 'api,projections'], {
      env: {
        ...process.env,
        TOPIC_PREFIX: prefix,
        PORT: String(port),
        OPS_PORT: String(opsPort),
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, { timeoutMs: 60_000, what: 'the api to listen' });
      // Metrics on OPS_PORT only (open once every role has started): the public port does not know the route.
      const metrics = await waitFor(() => fetch(`http://127.0.0.1:${opsPort}/metrics`).then((r) => r.text()), {
        timeoutMs: 60_000,
        what: 'the operations port to listen',
      });
      expect(metrics).toMatch(/process_cpu_seconds_total/);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);

      const entry = sampleEvents('sale-start').EntryRecorded;
      const events = Array.from({ length: 300 }, (_, i) => ({ ...entry, eventId: `start-${i}`, transactionId: `tx-start-${i}` }));
      await stack.publisher.publish(events);
      const db = createDb(stack.config.databaseUrl, schema, 1);
      await waitFor(async () => Number((await db.query<{ n: string }>('select count(*) as n from transactions')).rows[0]?.n) === 300, {
        what: '300 transactions projected',
      });
      await db.end();

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toMatch(/shutting down: finishing the batch in hand/);
      expect(output).toMatch(/"msg":"stopped"/);

      const admin = stack.kafka.admin();
      await admin.connect();
      const lag = await consumerLag(
        admin,
        consumerGroupId(prefix, transactionsSubscription.group),
        transactionsSubscription.topics.map((t) => topicName(prefix, t)),
      );
      await admin.disconnect();
      expect(lag).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses an unknown role with a one-line reason', async () => {
    const child = spawn(process.execPath, ['bin/flashsale.js', 'start', '--roles', 'api,cashier'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('flashsale: unknown role(s) cashier; roles are api, claims, projections, reconciliation, expiry');
  });
});
