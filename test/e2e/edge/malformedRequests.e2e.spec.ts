// Issue 16, "no 5xx on bad input": a request the edge cannot read is the client's fault and
// answers 4xx with the contract's error body ({error, details}) on every route, never the
// 500 of a bug. Before the fix a body that was not what its Content-Encoding said, and a
// path parameter whose percent-encoding did not decode, answered 500 everywhere. Also here:
// the security headers on every answer, and whose X-Forwarded-For is believed.
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { type Router } from 'express';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../producers/http/app.js';
import { createLogger } from '../../../platform/log.js';
import { signWebhook } from '../../../platform/webhookSignature.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: { error?: unknown; details?: unknown } };

let system: TestSystem;
let port: number;
let userToken: string;
let operatorToken: string;

beforeAll(async () => {
  system = await startTestSystem('edge', ['api']);
  port = Number(new URL(system.baseUrl).port);
  userToken = await system.userToken('u-edge');
  operatorToken = await system.operatorToken();
});
afterAll(async () => {
  await system?.stop();
});

/** A request with exactly these headers and bytes (fetch would not let a test set them all). */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<Answer> {
  return sendTo(port, { method, path, headers, body });
}

function sendTo(
  at: number,
  { method, path, headers, body }: { method: string; path: string; headers: Record<string, string>; body?: Buffer | string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: at, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as Answer['body']) : {} });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const txId = crypto.randomUUID();
/** Every route that reads a body, with a token that lets the request past its guard. */
const bodyRoutes = (): { method: string; path: string; token?: string }[] => [
  { method: 'PUT', path: '/products/p-edge', token: operatorToken },
  { method: 'POST', path: '/sales', token: operatorToken },
  { method: 'POST', path: '/sales/s-edge/close', token: operatorToken },
  { method: 'POST', path: '/sales/s-edge/entries', token: userToken },
  { method: 'POST', path: '/sales/s-edge/claims', token: userToken },
  { method: 'POST', path: `/transactions/${txId}/redirect`, token: userToken },
  { method: 'POST', path: '/partners/demo-pay/webhooks' },
];

const headersFor = (token: string | undefined, extra: Record<string, string>) => ({
  'content-type': 'application/json',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
  ...extra,
});

function expectRefusal(answer: Answer, status: number): void {
  expect(answer.status).toBe(status);
  expect(typeof answer.body.error).toBe('string');
  expect(Array.isArray(answer.body.details)).toBe(true);
}

describe('a body the edge cannot read', () => {
  it('that is not what its Content-Encoding says is a 400 with the error body on every POST and PUT route, webhooks included', async () => {
    const garbage = Buffer.from('{"this is": "not compressed"}');
    for (const { method, path, token } of bodyRoutes())
      for (const coding of ['gzip', 'deflate', 'br']) {
        // Signed over the bytes sent: the signature is not what is wrong with it.
        const signature: Record<string, string> = path.startsWith('/partners')
          ? { 'flashsale-signature': signWebhook('dev-secret', garbage) }
          : {};
        const answer = await send(method, path, headersFor(token, { 'content-encoding': coding, ...signature }), garbage);
        expect({ method, path, coding, status: answer.status }).toEqual({ method, path, coding, status: 400 });
        expectRefusal(answer, 400);
      }
  });

  it('that is a decompression bomb is cut at the body limit: 413, on every route that reads a body', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024, ' ')); // 50 MB of spaces in ~50 kB
    for (const { method, path, token } of bodyRoutes()) {
      const started = performance.now();
      const answer = await send(method, path, headersFor(token, { 'content-encoding': 'gzip' }), bomb);
      expectRefusal(answer, 413);
      // Decoding stopped at the limit rather than inflating all 50 MB first.
      expect(performance.now() - started).toBeLessThan(2_000);
    }
  });

  it('in a coding the edge does not decode is a 415, stacked codings included', async () => {
    for (const coding of ['xz', 'compress', 'zstd', 'gzip, gzip', 'identity, gzip']) {
      const answer = await send('POST', '/sales', headersFor(operatorToken, { 'content-encoding': coding }), '{}');
      expectRefusal(answer, 415);
      expect(answer.body.error).toMatch(/Content-Encoding/);
    }
    expectRefusal(
      await send('POST', '/sales', headersFor(operatorToken, { 'content-type': 'application/json; charset=ebcdic' }), '{}'),
      415,
    );
  });

  it('is read like a plain one when properly compressed, and a webhook is signed over the decoded body', async () => {
    const product = JSON.stringify({ name: 'Gzipped', partnerId: 'demo-pay', priceMinor: 100, currency: 'EUR' });
    const answer = await send('PUT', '/products/p-gzip', headersFor(operatorToken, { 'content-encoding': 'gzip' }), zlib.gzipSync(product));
    expect(answer.status).toBe(201);
    const report = JSON.stringify({
      eventId: `e-${crypto.randomUUID()}`,
      transactionId: crypto.randomUUID(),
      type: 'payment',
      quantity: 1,
      amountMinor: 100,
      currency: 'EUR',
      occurredAt: new Date().toISOString(),
    });
    const webhook = await send(
      'POST',
      '/partners/demo-pay/webhooks',
      headersFor(undefined, { 'content-encoding': 'br', 'flashsale-signature': signWebhook('dev-secret', report) }),
      zlib.brotliCompressSync(report),
    );
    expect(webhook.status).toBe(200);
  });
});

describe('a path parameter the edge cannot read', () => {
  it('whose percent-encoding does not decode is a 400 with the error body, on every route with a parameter', async () => {
    const routes = [
      ['GET', '/sales/%E0%A4%A', userToken],
      ['POST', '/sales/%/entries', userToken],
      ['GET', '/sales/%ZZ/challenge', userToken],
      ['POST', '/sales/%C0/claims', userToken],
      ['GET', '/transactions/%E0%A4%A', userToken],
      ['POST', '/transactions/%/redirect', userToken],
      ['PUT', '/products/%FF', operatorToken],
      ['POST', '/sales/%E0%A4%A/close', operatorToken],
      ['GET', '/reconciliation/sales/%', operatorToken],
      ['POST', '/partners/%E0%A4%A/webhooks', undefined],
    ] as const;
    for (const [method, path, token] of routes) {
      const answer = await send(method, path, headersFor(token, {}), method === 'GET' ? undefined : '{}');
      expect({ method, path, status: answer.status }).toEqual({ method, path, status: 400 });
      expectRefusal(answer, 400);
    }
  });

  it('that decodes to something no TransactionID can be (a NUL byte) is a 400, not a database error', async () => {
    expectRefusal(await send('GET', '/transactions/%00', headersFor(userToken, {})), 400);
    expectRefusal(await send('GET', '/transactions/not-a-uuid', headersFor(userToken, {})), 400);
  });

  /** Raw bytes on a socket of their own, and everything that comes back until the server closes. */
  const exchange = (bytes: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
  const bodyOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { error: string };

  it('in a request Node.js refuses before express (unparsable, CONNECT, an unknown Expect) still gets the error body', async () => {
    const unparsable = await exchange('POST /sales HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}');
    expect(unparsable).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(unparsable)).toMatchObject({ error: 'malformed HTTP request' });
    // Node.js drops a CONNECT nobody listens for: no answer at all, before.
    const connect = await exchange('CONNECT /sales HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(connect).toMatch(/^HTTP\/1\.1 405 /);
    expect(bodyOf(connect).error).toMatch(/CONNECT/);
    const expectation = await send('POST', '/sales', headersFor(operatorToken, { expect: 'something-else' }), '{}');
    expect(expectation.status).toBe(417);
    expect(expectation.body.error).toMatch(/Expect/);
    // An answer to HEAD carries no body, even a refusal written by hand.
    const head = await exchange('HEAD /sales/%ZZ\u0000 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 [^]*\r\n\r\n$/);
  });
});

describe('security headers', () => {
  it('are on every answer: served, refused, unknown route, unreadable body', async () => {
    const answers = [
      await send('GET', '/healthz'),
      await send('GET', '/nope'),
      await send('GET', '/sales/s-edge'),
      await send('POST', '/sales', headersFor(operatorToken, { 'content-encoding': 'gzip' }), 'x'),
      await send('GET', '/sales/%', headersFor(userToken, {})),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 404, 401, 400, 400]);
    for (const { headers } of answers) {
      expect(headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
      });
      expect(headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(headers['x-powered-by']).toBeUndefined();
    }
  });
});

describe('trusted proxies (TRUSTED_PROXIES)', () => {
  /** The client IP express settles on for a request from loopback carrying this X-Forwarded-For. */
  async function clientIp(trustedProxies: string[] | number, forwardedFor: string): Promise<string> {
    const echo: Router = express.Router();
    echo.get('/ip', (req, res) => void res.json({ error: req.ip }));
    const app = createHttpApp({
      log: createLogger('silent'),
      routers: [echo],
      readiness: async () => ({ ready: true, parts: {} }),
      trustedProxies,
    });
    const server = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const answer = await sendTo((server.address() as net.AddressInfo).port, {
        method: 'GET',
        path: '/ip',
        headers: { 'x-forwarded-for': forwardedFor },
      });
      return String(answer.body.error);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('believes only the proxies named: each shopper behind them is their own client IP, for rate limits', async () => {
    // The default: a proxy on this host.
    expect(await clientIp(['loopback'], '203.0.113.7')).toBe('203.0.113.7');
    // A load balancer's subnet: the address it saw, not what the client claimed before it.
    expect(await clientIp(['loopback', '10.0.0.0/8'], '198.51.100.1, 203.0.113.7, 10.1.2.3')).toBe('203.0.113.7');
    expect(await clientIp(1, '198.51.100.1, 203.0.113.7')).toBe('203.0.113.7');
    // Nobody trusted: the header is ignored, whatever it claims.
    expect(await clientIp([], '203.0.113.7')).toBe('127.0.0.1');
  });
});
