// A registry that accepts a connection and never answers (a stalled proxy, a registry hung in
// a pause) must not hold a consumer's decode or a process's start forever: each request is
// bounded, and the failure is transient (waited out and retried, never dead-lettered).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyFailure } from '../../../platform/errors.js';
import { createEventCodec, createSchemaRegistry, REGISTRY_REQUEST_TIMEOUT_MS } from '../../../platform/registry/codec.js';

let server: net.Server;
let url: string;
const held: net.Socket[] = [];

beforeAll(async () => {
  server = net.createServer((socket) => held.push(socket)); // reads nothing, answers nothing
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((r) => server.close(r));
});

describe('a stalled schema registry', () => {
  it('fails a decode of an unknown schema id within the request timeout, as a transient fault', async () => {
    const codec = createEventCodec({ registry: createSchemaRegistry({ schemaRegistryUrl: url }), topicPrefix: 'stalled' });
    const record = Buffer.from([0, 0, 0, 0x30, 0x39, 2, 3]); // magic byte, schema id 12345, a body
    const started = Date.now();
    const failure = await codec.decode(record).then(
      () => undefined,
      (err: unknown) => err,
    );
    const tookMs = Date.now() - started;
    expect(failure).toBeInstanceOf(Error);
    expect(classifyFailure(failure)).toBe('transient');
    expect(tookMs).toBeGreaterThanOrEqual(REGISTRY_REQUEST_TIMEOUT_MS - 100);
    expect(tookMs).toBeLessThan(REGISTRY_REQUEST_TIMEOUT_MS + 5_000);
  }, 30_000);
});
