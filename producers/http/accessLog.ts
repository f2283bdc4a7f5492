// Access logs (pino-http), one line per answer, and the request id that follows a request:
// taken from the caller's X-Request-Id when it is short and safe (a proxy's or a client's),
// else a fresh UUID; echoed in the answer's X-Request-Id, carried through the request's async
// calls (platform/requestContext.ts) and so into the Kafka records it publishes. No headers,
// bodies or tokens are logged.
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../../platform/log.js';
import { runWithRequestId } from '../../platform/requestContext.js';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** At most 64 letters, digits and `.`, `_`, `:`, `-`: safe in a log line and a Kafka header, whoever sent it. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

export function accessLog(log: Logger): RequestHandler[] {
  const logged = pinoHttp({
    logger: log,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = requestIdOf(req.headers['x-request-id']);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (req, res) => `${req.method} ${req.url} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${req.url} ${res.statusCode}`,
  });
  // genReqId above answers a string, always.
  return [logged, (req, _res, next) => runWithRequestId(req.id as string, next)];
}
