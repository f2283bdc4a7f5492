// The running system answers liveness, readiness and metrics: readiness on the public port
// for load balancers (cached, so a flood costs one check a second), metrics on the
// operations port only, where liveness and readiness are answered too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAUGHT_UP_LAG, READINESS_CACHE_MS } from '../../runtime/readiness.js';
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
    // Readiness is cached for a second: the answer before the publishing may still be served.
    await new Promise((r) => setTimeout(r, READINESS_CACHE_MS + 100));
    const res = await fetch(`${system.baseUrl}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { parts: Record<string, unknown> };
    expect(body.parts).toMatchObject({ kafka: true, registry: true, redis: true, postgres: true });
    expect(body.parts['projection:inventory']).toMatch(/behind by \d+ events/);
  });

  it('serves Prometheus metrics on the operations port only, with liveness and readiness there too', async () => {
    const res = await fetch(`${system.opsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await res.text()).toMatch(/process_cpu_seconds_total/);
    expect(system.opsUrl).not.toBe(system.baseUrl);
    const onApiPort = await fetch(`${system.baseUrl}/metrics`);
    expect(onApiPort.status).toBe(404);
    expect(await onApiPort.text()).not.toMatch(/process_cpu_seconds_total/);
    expect((await fetch(`${system.opsUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${system.opsUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { parts: Record<string, unknown> }).parts).toMatchObject({ kafka: true, redis: true });
    expect((await fetch(`${system.opsUrl}/nope`)).status).toBe(404);
  });

  it('answers a flood of /readyz from one check a second, not a Kafka admin connection per call', async () => {
    const { kafka } = system.platform;
    const realAdmin = kafka.admin.bind(kafka);
    let admins = 0;
    kafka.admin = (...args) => {
      admins++;
      return realAdmin(...args);
    };
    try {
      const started = Date.now();
      const statuses: number[] = [];
      // Waves of 50 concurrent calls, as a misbehaving load balancer or an attacker would send: a
      // fixed count, not a fixed time (on loaded cores the calls come slower; the bound below
      // scales with the time they took).
      for (let round = 0; round < 6; round++) {
        const wave = await Promise.all(Array.from({ length: 50 }, () => fetch(`${system.baseUrl}/readyz`).then((r) => r.status)));
        statuses.push(...wave);
      }
      const seconds = (Date.now() - started) / 1000;
      console.log(`/readyz flood: ${statuses.length} calls in ${seconds.toFixed(1)} s, ${admins} Kafka admin clients made`);
      expect(statuses.length).toBe(300);
      expect(new Set(statuses)).toEqual(new Set([503]));
      // One check per cache period (plus the one running when the flood began), whatever the calls.
      expect(admins).toBeLessThanOrEqual(Math.ceil((seconds * 1000) / READINESS_CACHE_MS) + 1);
    } finally {
      kafka.admin = realAdmin;
    }
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
