// Requests node:http will not write: an odd method or version, bytes a header may not hold,
// a Content-Length that lies about the body, both Content-Length and Transfer-Encoding,
// broken chunks. Each goes on a socket of its own, with `Connection: close`, and must get
// an answer (a status line), never a closed connection.
import fc from 'fast-check';
import type { FuzzWorld } from './routes.js';
import { printable, type FuzzRequest } from './sender.js';

const METHODS = ['GET', 'POST', 'PUT', 'FOO', 'get', 'G\tET', 'PRI', 'CONNECT', 'POST POST'];
const TARGETS = [
  '/sales/ä',
  '/sales/\u00ff',
  '*',
  'http://elsewhere.example/sales',
  '/sales/a b',
  '/\u0000',
  '/sales/%',
  '',
  '/partners/demo-pay/webhooks',
];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', 'http/1.1', ''];
const ODD_HEADERS = [
  'Bad Header: x',
  'X-Nul: a\u0000b',
  ' folded: continuation',
  'Content-Length: -1',
  'Content-Length: 1, 2',
  'Content-Length: 99999999999999999999',
  'Transfer-Encoding: gzip, chunked',
  'Content-Encoding: gzip',
  'Content-Type: application/json; charset=utf-32',
  `X-Long: ${'y'.repeat(20_000)}`,
  'Host: a\r\nHost: b',
];

// Not a Content-Length longer than the body: the server rightly waits for the rest.
type Framing = 'exact' | 'short' | 'both' | 'bad-chunks' | 'none';

function frame(body: string, framing: Framing): string {
  const length = Buffer.byteLength(body);
  switch (framing) {
    case 'exact':
      return `Content-Length: ${length}\r\n\r\n${body}`;
    case 'short':
      return `Content-Length: ${Math.max(0, length - 3)}\r\n\r\n${body}`;
    case 'both':
      return `Content-Length: ${length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`;
    case 'bad-chunks':
      return `Transfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`;
    case 'none':
      return `\r\n${body}`;
  }
}

export function rawRequestArb(world: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  const token = `Bearer ${world.operatorToken}`;
  return fc
    .record({
      method: fc.constantFrom(...METHODS),
      target: fc.oneof(
        fc.constantFrom(...TARGETS),
        fc.constantFrom(...world.saleIds).map((s) => `/sales/${s}`),
      ),
      version: fc.constantFrom(...VERSIONS),
      odd: fc.subarray(ODD_HEADERS, { maxLength: 2 }),
      framing: fc.constantFrom<Framing>('exact', 'short', 'both', 'bad-chunks', 'none'),
      body: fc.oneof(
        fc.constant('{}'),
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
      ),
    })
    .map(({ method, target, version, odd, framing, body }) => {
      const head = [`${method} ${target} ${version}`, 'Host: 127.0.0.1', `Authorization: ${token}`, 'Connection: close', ...odd];
      const text = `${head.join('\r\n')}\r\n${frame(body, framing)}`;
      return printable({
        route: 'raw',
        method,
        path: target,
        headers: { framing, odd: odd.map((h) => h.slice(0, 40)).join(' | ') },
        raw: Buffer.from(text, 'utf8'),
      });
    });
}
