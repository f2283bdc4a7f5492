// The HTTP edge: security headers, JSON bodies with a size limit, the raw body kept for
// signature checks, health and readiness (for load balancers; metrics are on the operations
// port only, see runtime/opsServer.ts), the feature routers, and the one place where errors
// become status codes.
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type ErrorRequestHandler, type Router } from 'express';
import type { Logger } from '../../platform/log.js';
import { accessLog } from './accessLog.js';
import { asUnavailable, HttpError } from './errors.js';
import { securityHeaders } from './securityHeaders.js';

export const BODY_LIMIT = '16kb';

declare module 'express-serve-static-core' {
  interface Request {
    /** The body exactly as received, on /partners routes: webhook signatures are computed over it. */
    rawBody?: Buffer;
  }
}

export type ReadinessCheck = () => Promise<{ ready: boolean; parts: Record<string, boolean | string> }>;

/** Content codings a body may arrive in (body-parser decodes them); the limit applies to the decoded bytes. */
export const BODY_ENCODINGS = ['identity', 'gzip', 'deflate', 'br'] as const;

const UNSUPPORTED_ENCODING = `unsupported Content-Encoding; send the body as ${BODY_ENCODINGS.join(', ')}`;

/**
 * 415 for a Content-Encoding we do not decode, before any body is read: the list is ours,
 * not whatever the Node.js runtime's zlib happens to offer (zstd on some versions), and a
 * stacked coding ("gzip, gzip") is refused rather than unwrapped layer after layer.
 */
const supportedEncodingOnly: express.RequestHandler = (req, _res, next) => {
  const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if ((BODY_ENCODINGS as readonly string[]).includes(coding)) return next();
  next(new HttpError(415, UNSUPPORTED_ENCODING, [{ field: 'Content-Encoding', message: `"${coding.slice(0, 40)}" is not supported` }]));
};

/** Where a malformed request went wrong, for the error body's details. */
type Malformation = { status: number; error: string; field: string; message: string };

/**
 * Refusals raised before any handler of ours ran: by body-parser (reading, decoding, parsing
 * the body) or by express itself (decoding a path parameter). They carry a 4xx `status` and
 * a `type` (body-parser) saying what was wrong; the client sent something we cannot read, so
 * it is a 4xx whatever the cause, never the 500 an unknown error gets.
 */
function malformation(err: unknown): Malformation | undefined {
  const e = err as { type?: unknown; status?: unknown; statusCode?: unknown; message?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const message = typeof e.message === 'string' ? e.message : '';
  switch (e.type) {
    case 'entity.too.large':
      // A decompression bomb ends here too: the limit counts decoded bytes, and reading stops at it.
      return { status: 413, error: `body larger than ${BODY_LIMIT}`, field: '(body)', message };
    case 'encoding.unsupported':
      return { status: 415, error: UNSUPPORTED_ENCODING, field: 'Content-Encoding', message };
    case 'charset.unsupported':
      return { status: 415, error: 'unsupported charset; send JSON as UTF-8', field: 'Content-Type', message };
    case 'entity.parse.failed':
      return { status: 400, error: 'malformed JSON body', field: '(body)', message };
  }
  if (status === undefined || status < 400 || status > 499) return undefined;
  // express's own: a path parameter whose percent-encoding does not decode (a URIError it marks 400).
  if (err instanceof URIError) return { status, error: 'malformed request path', field: '(path)', message };
  // body-parser's without a type of their own: a body that is not what its Content-Encoding
  // says (zlib's error, marked 400), shorter or longer than its Content-Length, or cut off.
  return { status, error: 'malformed request body', field: '(body)', message };
}

/** The one place where errors become status codes: HttpErrors as they say, unreadable requests as 4xx, outages as 503, the rest 500. */
function errorAnswers(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    // Mid-answer there is no status left to choose: express closes the connection.
    if (res.headersSent) return next(err);
    const unavailable = err instanceof HttpError ? undefined : asUnavailable(err);
    if (unavailable) {
      log.warn({ err: (err as Error).message, method: req.method, path: req.path }, 'not served now: answered 503');
      err = unavailable;
    }
    if (err instanceof HttpError) {
      res
        .set(err.headers)
        .status(err.status)
        .json({ error: err.message, ...(err.details === undefined ? {} : { details: err.details }) });
      return;
    }
    const malformed = malformation(err);
    if (malformed) {
      res.status(malformed.status).json({ error: malformed.error, details: [{ field: malformed.field, message: malformed.message }] });
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json({ error: 'internal error' });
  };
}

export function createHttpApp({
  log,
  routers,
  streamRouters = [],
  readiness,
  trustedProxies = ['loopback'],
}: {
  log: Logger;
  routers: Router[];
  /** Routes that read their own body as a stream (settlement files): mounted before the body parsers. */
  streamRouters?: Router[];
  readiness: ReadinessCheck;
  /**
   * Whose X-Forwarded-For is believed (TRUSTED_PROXIES): the client IP that rate limits count
   * is the first address not among them. Addresses, subnets, express's names (loopback,
   * linklocal, uniquelocal) or a hop count.
   */
  trustedProxies?: readonly string[] | number;
}) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', typeof trustedProxies === 'number' ? trustedProxies : [...trustedProxies]);
  // First: every answer, refusals included, carries its request id and gets its log line.
  app.use(accessLog(log));
  // Security headers on every answer, refusals included (helmet's defaults, see securityHeaders.ts).
  app.use(securityHeaders());
  app.use(supportedEncodingOnly);
  for (const router of streamRouters) app.use(router);
  // Partner webhooks are authenticated over the exact bytes before anything reads them: a
  // malformed body without a valid signature is a 401, like any unsigned request. Their
  // body is kept raw here (body-parser then skips the JSON parser below) and parsed after.
  app.use(
    '/partners',
    express.raw({ limit: BODY_LIMIT, type: () => true }),
    (req: express.Request, res: express.Response, next: express.NextFunction) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      req.rawBody = raw;
      try {
        req.body = raw.length ? (JSON.parse(raw.toString('utf8')) as unknown) : undefined;
      } catch (err) {
        req.body = undefined;
        res.locals.malformedJson = (err as Error).message;
      }
      next();
    },
  );
  app.use(
    express.json({
      limit: BODY_LIMIT,
      type: () => true,
    }),
  );

  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.get('/readyz', async (_req, res) => {
    const { ready, parts } = await readiness();
    res.status(ready ? 200 : 503).json({ ready, parts });
  });

  for (const router of routers) app.use(router);

  app.use((_req, _res, next) => next(new HttpError(404, 'no such route')));

  app.use(errorAnswers(log));
  return app;
}

/** Node's parser codes that are not "malformed": a request line or headers too large, or too slow. */
const CLIENT_ERROR_STATUS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'request headers too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request not received in time'],
};

/** A whole HTTP/1.1 answer with the error body, for a socket express never saw; the connection closes after it. */
function rawAnswer(status: number, body: { error: string; details: unknown }, { head = false } = {}): string {
  const text = JSON.stringify(body);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(text)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n` +
    // An answer to HEAD has no body, whatever it says: the client would read one as garbage.
    (head ? '' : text)
  );
}

/**
 * What Node.js refuses before express sees the request, answered with the contract's error
 * body like every other refusal. A request it cannot parse as HTTP (an unknown method, a bad
 * header byte, both Content-Length and Transfer-Encoding) gets 400 (431 for headers too
 * large), and the connection closes since nothing after it can be framed. An `Expect` other
 * than 100-continue gets 417, as RFC 9110 asks; CONNECT, 405.
 */
export function answerBeforeExpress(server: Server): void {
  // CONNECT asks a proxy for a tunnel; this is no proxy. Without an answer Node.js would drop the connection.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.end(rawAnswer(405, { error: 'CONNECT is not supported', details: [{ field: '(method)', message: 'not a proxy' }] }));
  });
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify({ error: 'unsupported Expect', details: [{ field: 'Expect', message: 'only 100-continue is supported' }] });
    // A client that asked is waiting before it sends its body: the connection ends with the answer.
    res
      .writeHead(417, { 'Content-Type': 'application/json; charset=utf-8', 'X-Content-Type-Options': 'nosniff', Connection: 'close' })
      .end(body);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, error] = CLIENT_ERROR_STATUS[err.code ?? ''] ?? [400, 'malformed HTTP request'];
    const head = (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
    socket.end(rawAnswer(status, { error, details: [{ field: '(request)', message: err.code ?? err.message }] }, { head }));
  });
}
