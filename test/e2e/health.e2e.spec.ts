// The running system answers liveness, readiness and metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAUGHT_UP_LAG } from '../../runtime/readiness.js';
import { sampleEvents } from '../support/sampleEvents.js';
import { startTestSystem, type TestSystem } from '../support/system.js';
import { waitFor } from '../support/waitFor.js';

// The api alone: nothing projects what is published, and nothing builds the Redis store.
let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem('health', ['api']);
});
afterAll(async () => {
  await system.stop();
});

describe('health, readiness and metrics', () => {
  it('is alive and ready when Kafka, Redis and PostgreSQL answer and the store is complete', async () => {
    const whole = await startTestSystem('health-whole', ['api', 'projections']);
    try {
      expect((await fetch(`${whole.baseUrl}/healthz`)).status).toBe(200);
      await waitFor(async () => (await fetch(`${whole.baseUrl}/readyz`)).status === 200, { what: 'ready' });
    } finally {
      await whole.stop();
    }
  });

  it('is alive but not ready while the Redis store has no complete state (flushed, or being rebuilt)', async () => {
    expect((await fetch(`${system.baseUrl}/healthz`)).status).toBe(200);
    const res = await fetch(`${system.baseUrl}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { parts: Record<string, unknown> };
    expect(body.parts).toMatchObject({ kafka: true, registry: true, redis: true, postgres: true, store: 'being rebuilt from the topics' });
  });

  it('is not ready while the projections are behind their topics', async () => {
    // Only the api role runs here, so nothing projects what is published.
    const entry = sampleEvents('sale-lag').EntryRecorded;
    await Promise.all(
      Array.from({ length: CAUGHT_UP_LAG + 50 }, (_, i) =>
        system.platform.publisher.publish([{ ...entry, eventId: `lag-${i}`, transactionId: `tx-lag-${i}` }]),
      ),
    );
    const res = await fetch(`${system.baseUrl}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { parts: Record<string, unknown> };
    expect(body.parts).toMatchObject({ kafka: true, registry: true, redis: true, postgres: true });
    expect(body.parts['projection:inventory']).toMatch(/behind by \d+ events/);
  });

  it('serves Prometheus metrics', async () => {
    const res = await fetch(`${system.baseUrl}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await res.text()).toMatch(/process_cpu_seconds_total/);
  });

  it('answers an unknown route with 404 and a malformed body with 400', async () => {
    expect((await fetch(`${system.baseUrl}/nope`)).status).toBe(404);
    const res = await fetch(`${system.baseUrl}/nope`, {
      method: 'POST',
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
  });
});
