// Partner webhooks over HTTP on the running system: signed, recorded on Kafka exactly once
// per eventId (also across two API processes), refused with 401 and nothing recorded when
// the signature is wrong (the same bytes whatever was wrong, an unknown partner included),
// 503 and nothing recorded when Kafka does not acknowledge.
import crypto from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventPublisher } from '../../../platform/kafka/publisher.js';
import { readTopicRange } from '../../../platform/kafka/topicReader.js';
import { keyPrefix } from '../../../platform/redis.js';
import { createEventCodec, createSchemaRegistry } from '../../../platform/registry/codec.js';
import { createHttpApp } from '../../../producers/http/app.js';
import { signWebhook } from '../../../platform/webhookSignature.js';
import { createWebhookDedupe } from '../../../producers/partners/webhookDedupe.js';
import { createPartnerWebhookRouter, WEBHOOK_REFUSAL } from '../../../producers/partners/webhookRouter.js';
import { createRateLimits } from '../../../producers/http/rateLimit.js';
import type { FlashsaleEvent } from '../../../schemas/events/index.js';
import { topicName } from '../../../schemas/topics.js';
import { type Child, runChild } from '../../support/childProcess.js';
import { freshPrefix } from '../../support/realStack.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';

const PARTNER_SECRETS = 'demo-pay:secret-current,demo-pay:secret-next,other-pay:secret-other';

let system: TestSystem;
let second: Child;
let secondUrl: string;

beforeAll(async () => {
  system = await startTestSystem('webhooks', ['api'], { PARTNER_SECRETS });
  second = runChild('test/support/apiProcess.ts', { TOPIC_PREFIX: system.prefix, TEST_DB_SCHEMA: system.dbSchema, PARTNER_SECRETS });
  secondUrl = `http://127.0.0.1:${String((await second.line((l) => typeof l.port === 'number')).port)}`;
});
afterAll(async () => {
  await second?.stop();
  await system?.stop();
});

function report(over: Record<string, unknown> = {}) {
  return {
    eventId: `evt-${crypto.randomUUID()}`,
    transactionId: crypto.randomUUID(),
    type: 'payment',
    quantity: 1,
    amountMinor: 1999,
    currency: 'EUR',
    occurredAt: new Date().toISOString(),
    ...over,
  };
}

type SendOptions = {
  secret?: string;
  t?: number;
  header?: string | null;
  /** Sent instead of the body the signature was computed over. */
  sendBody?: string;
  /** Signed and sent instead of JSON.stringify(body). */
  raw?: string;
  baseUrl?: string;
  partnerId?: string;
};

type Answer = { status: number; json: Record<string, unknown>; text: string; contentType: string | null };

async function send(body: unknown, opts: SendOptions = {}): Promise<Answer> {
  const raw = opts.raw ?? JSON.stringify(body);
  const header = opts.header === undefined ? signWebhook(opts.secret ?? 'secret-current', raw, opts.t) : opts.header;
  const res = await fetch(`${opts.baseUrl ?? system.baseUrl}/partners/${opts.partnerId ?? 'demo-pay'}/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(header === null ? {} : { 'Flashsale-Signature': header }) },
    body: opts.sendBody ?? raw,
  });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text) as Record<string, unknown>, text, contentType: res.headers.get('content-type') };
}

/** How many records the partner-events topic holds: nothing recorded means this did not move. */
async function recordCount(): Promise<number> {
  const admin = system.platform.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topicName(system.prefix, 'partner-events'));
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function recordedEvents(): Promise<FlashsaleEvent[]> {
  const events: FlashsaleEvent[] = [];
  const { kafka, codec } = system.platform;
  await readTopicRange({
    kafka,
    codec,
    topicPrefix: system.prefix,
    topics: ['partner-events'],
    onBatch: (b) => void events.push(...b.map((d) => d.event)),
  });
  return events;
}

describe('partner webhooks', () => {
  it('records a correctly signed payment on Kafka under the eventId <partnerId>:<partnerEventId>, unknown transaction or not', async () => {
    const body = report();
    const res = await send(body);
    expect({ status: res.status, json: res.json }).toEqual({ status: 200, json: { eventId: body.eventId, duplicate: false } });
    const recorded = (await recordedEvents()).filter((e) => e.eventId === `demo-pay:${body.eventId}`);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      type: 'PartnerPaymentReported',
      partnerId: 'demo-pay',
      partnerEventId: body.eventId,
      transactionId: body.transactionId,
      quantity: 1,
      amountMinor: 1999,
      currency: 'EUR',
      reportedAt: Date.parse(body.occurredAt),
      correlationId: body.transactionId,
    });
  });

  it('accepts the second secret of a partner during rotation, and records a refund', async () => {
    const res = await send(report({ type: 'refund' }), { secret: 'secret-next' });
    expect(res.status).toBe(200);
  });

  it('refuses with 401, recording nothing, a wrong secret, a stale or future t, a tampered body, a missing or malformed header, an unknown partner', async () => {
    const before = await recordCount();
    const now = Math.floor(Date.now() / 1000);
    const body = report();
    const refusals = await Promise.all([
      send(body, { secret: 'secret-other' }),
      // 100 s past the 300 s tolerance: clear of the second our clock and the server's may differ by.
      send(body, { t: now - 400 }),
      send(body, { t: now + 400 }),
      send(body, { sendBody: JSON.stringify({ ...body, amountMinor: 1 }) }),
      send(body, { header: null }),
      send(body, { header: 'v1=abc' }),
      send(body, { header: `t=${now},v1=${'0'.repeat(64)}` }),
      send(body, { partnerId: 'nobody-pay' }),
      send(body, { partnerId: 'other-pay' }),
      // Unsigned garbage is refused for its missing signature before anything reads it.
      send(null, { raw: '{"eventId": not json', header: null }),
    ]);
    expect(refusals.map((r) => r.status)).toEqual(Array(refusals.length).fill(401));
    // Byte for byte the same answer whatever the cause: nothing tells an unknown partner
    // (nobody-pay) from a known one with a bad signature (other-pay), or a stale t from a wrong secret.
    const answers = new Set(refusals.map((r) => `${r.status} ${r.contentType} ${r.text}`));
    expect([...answers]).toEqual([`401 application/json; charset=utf-8 ${JSON.stringify({ error: WEBHOOK_REFUSAL })}`]);
    // The same report, correctly signed, still records: the refusals left no claim behind.
    expect((await send(body)).json).toMatchObject({ duplicate: false });
    expect(await recordCount()).toBe(before + 1);
  });

  // The tolerance is 300 s; its exact boundary is tested in the signature's unit test, at
  // the verifier's own clock. Here the margins stay well clear of it: this test reads its
  // clock a moment before the server does, and the second may turn between the two.
  it('accepts t within the tolerance either side of now', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await send(report(), { t: now - 200 })).status).toBe(200);
    expect((await send(report(), { t: now + 200 })).status).toBe(200);
  });

  it('answers 400 naming the field for a signed but invalid body, and records nothing', async () => {
    const before = await recordCount();
    const res = await send(report({ quantity: 0, currency: 'euro' }));
    expect(res.status).toBe(400);
    expect((res.json.details as { field: string }[]).map((d) => d.field).sort()).toEqual(['currency', 'quantity']);
    expect(await recordCount()).toBe(before);
    expect((await send(null, { raw: '{"eventId": not json' })).status).toBe(400);
  });

  it('answers a redelivered eventId with 200 {duplicate: true} and records it once', async () => {
    const before = await recordCount();
    const body = report();
    expect((await send(body)).json.duplicate).toBe(false);
    expect(await send(body)).toMatchObject({ status: 200, json: { eventId: body.eventId, duplicate: true } });
    expect((await send(body, { secret: 'secret-next', baseUrl: secondUrl })).json.duplicate).toBe(true);
    expect(await recordCount()).toBe(before + 1);
  });

  it('records each webhook once when a storm delivers it 5 times at once across two API processes', async () => {
    const before = await recordCount();
    const bodies = Array.from({ length: 30 }, () => report());
    const answers = await Promise.all(
      bodies.flatMap((body) => [0, 1, 2, 3, 4].map((copy) => send(body, { baseUrl: copy % 2 === 0 ? system.baseUrl : secondUrl }))),
    );
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    for (const body of bodies) {
      const mine = answers.filter((a) => a.json.eventId === body.eventId);
      expect(mine.filter((a) => a.json.duplicate === false)).toHaveLength(1);
    }
    expect(await recordCount()).toBe(before + bodies.length);
    const ids = (await recordedEvents()).map((e) => e.eventId);
    for (const body of bodies) expect(ids.filter((id) => id === `demo-pay:${body.eventId}`)).toHaveLength(1);
  });

  describe('when Kafka does not acknowledge', () => {
    // The real broker, asked to write to topics that do not exist (a prefix never created):
    // kafkajs retries and never gets an acknowledgement, as when the cluster is down.
    let server: Server;
    let brokenUrl: string;
    let closePublisher: () => Promise<void>;

    beforeAll(async () => {
      const { kafka, config, log, metrics, redis } = system.platform;
      const ghost = freshPrefix('ghost');
      const publisher = await createEventPublisher({
        kafka,
        codec: createEventCodec({ registry: createSchemaRegistry(config), topicPrefix: ghost }),
        topicPrefix: ghost,
        publishTimeoutMs: 1_500,
      });
      closePublisher = () => publisher.disconnect();
      const router = createPartnerWebhookRouter({
        partnerSecrets: config.partnerSecrets,
        publisher,
        // The same Redis claims as the working system: a failed attempt must not block a retry there.
        dedupe: createWebhookDedupe({ redis, keyPrefix: keyPrefix(system.prefix) }),
        limits: createRateLimits({ redis, topicPrefix: system.prefix, ...config.rateLimits }),
        log,
        metrics,
      });
      const app = createHttpApp({ log, routers: [router], readiness: async () => ({ ready: false, parts: {} }) });
      server = await new Promise((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      const address = server.address();
      brokenUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server?.close(resolve));
      await closePublisher?.();
    });

    it('answers 503 with Retry-After, records nothing, and lets the retry record it', async () => {
      const before = await recordCount();
      const body = report();
      const started = Date.now();
      const raw = JSON.stringify(body);
      const res = await fetch(`${brokenUrl}/partners/demo-pay/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Flashsale-Signature': signWebhook('secret-current', raw) },
        body: raw,
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await recordCount()).toBe(before);
      // The partner retries (here, against a healthy process): recorded now, once.
      expect((await send(body)).json).toEqual({ eventId: body.eventId, duplicate: false });
      expect((await send(body)).json.duplicate).toBe(true);
      expect(await recordCount()).toBe(before + 1);
    });
  });
});
