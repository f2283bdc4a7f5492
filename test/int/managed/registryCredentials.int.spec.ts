// A managed schema registry by configuration: the real registry behind a small https proxy
// of the test's own (a throwaway CA's certificate) that demands HTTP basic credentials, as
// Confluent Cloud's does. With SCHEMA_REGISTRY_USERNAME/PASSWORD and SCHEMA_REGISTRY_CA_FILE
// the codec registers and reads schemas through it; a wrong password fails the start at once
// with one line naming the settings, not after the registry's 90 s wait for a transient fault.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, LOCAL_REGISTRY_PORT } from '../../../platform/config.js';
import { createEventCodec, createSchemaRegistry, SchemaRegistryAccessError } from '../../../platform/registry/codec.js';
import { createTestCa, type TestCa } from '../../support/faults/testCa.js';
import { sampleEvents } from '../../support/sampleEvents.js';

const USER = 'registry-key';
const PASSWORD = 'registry-secret';
let ca: TestCa;
let proxy: https.Server;
let url: string;
const seen = { allowed: 0, refused: 0 };

/** Forwards a request with the right credentials to the real registry; answers 401 (as the registry would) otherwise. */
function basicAuthProxy(req: http.IncomingMessage, res: http.ServerResponse): void {
  const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  if (req.headers.authorization !== expected) {
    seen.refused++;
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="registry"' });
    res.end(JSON.stringify({ error_code: 401, message: 'Unauthorized' }));
    return;
  }
  seen.allowed++;
  const { authorization: _credentials, host: _host, ...headers } = req.headers;
  const upstream = http.request({ host: '127.0.0.1', port: LOCAL_REGISTRY_PORT, method: req.method, path: req.url, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

beforeAll(async () => {
  ca = createTestCa();
  proxy = https.createServer({ cert: fs.readFileSync(ca.serverCertFile), key: fs.readFileSync(ca.serverKeyFile) }, basicAuthProxy);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}/apis/ccompat/v7`;
});

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  ca?.remove();
});

function registryEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    SCHEMA_REGISTRY_URL: url,
    SCHEMA_REGISTRY_USERNAME: USER,
    SCHEMA_REGISTRY_PASSWORD: PASSWORD,
    SCHEMA_REGISTRY_CA_FILE: ca.caFile,
    ...overrides,
  };
}

describe('a schema registry behind basic auth and https', () => {
  it('registers the schemas and reads a record back through it with the configured credentials and CA', async () => {
    const config = loadConfig(registryEnv());
    const topicPrefix = `registry-auth-${randomUUID().slice(0, 8)}`;
    const writer = createEventCodec({ registry: createSchemaRegistry(config), topicPrefix });
    await writer.registerAll();
    const event = sampleEvents(`sale-${randomUUID()}`).ClaimRequested;
    const bytes = await writer.encode(event);
    // A second codec knows no schema yet: decoding fetches the writer's schema through the proxy.
    const before = seen.allowed;
    const reader = createEventCodec({ registry: createSchemaRegistry(config), topicPrefix });
    await expect(reader.decode(bytes)).resolves.toEqual(event);
    expect(seen.allowed).toBeGreaterThan(before);
  });

  it('fails the start at once with one line naming the settings when the registry refuses the password', async () => {
    const config = loadConfig(registryEnv({ SCHEMA_REGISTRY_PASSWORD: 'not-the-secret' }));
    const codec = createEventCodec({ registry: createSchemaRegistry(config), topicPrefix: `registry-auth-${randomUUID().slice(0, 8)}` });
    const startedAt = Date.now();
    const refusedBefore = seen.refused;
    const failure = await codec.registerAll().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SchemaRegistryAccessError);
    expect((failure as Error).message).toMatch(
      /^the schema registry refused this process \(check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD\): .*Unauthorized/,
    );
    expect(seen.refused).toBeGreaterThan(refusedBefore);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });

  it("refuses the registry's certificate without the CA that signed it", async () => {
    const { SCHEMA_REGISTRY_CA_FILE: _ca, ...withoutCa } = registryEnv();
    const codec = createEventCodec({ registry: createSchemaRegistry(loadConfig(withoutCa)), topicPrefix: 'registry-auth-no-ca' });
    await expect(codec.registerAll()).rejects.toThrow(/certificate/);
  });
});
