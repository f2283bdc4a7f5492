// The HTTP edge: JSON bodies with a size limit, the raw body kept for signature checks,
// health and readiness (for load balancers; metrics are on the operations port only, see
// runtime/opsServer.ts), the feature routers, and the one place where errors become status codes.
import express, { type ErrorRequestHandler, type Router } from 'express';
import type { Logger } from '../../platform/log.js';
import { asUnavailable, HttpError } from './errors.js';

export const BODY_LIMIT = '16kb';

declare module 'express-serve-static-core' {
  interface Request {
    /** The body exactly as received, on /partners routes: webhook signatures are computed over it. */
    rawBody?: Buffer;
  }
}

export type ReadinessCheck = () => Promise<{ ready: boolean; parts: Record<string, boolean | string> }>;

/** The one place where errors become status codes: HttpErrors as they say, body-parser's as 413/400, outages as 503, the rest 500. */
function errorAnswers(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
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
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.too.large') {
      res.status(413).json({ error: `body larger than ${BODY_LIMIT}` });
      return;
    }
    if (e.type === 'entity.parse.failed' || e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
      res.status(400).json({ error: 'malformed JSON body', details: [{ field: '(body)', message: e.message }] });
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json({ error: 'internal error' });
  };
}

export function createHttpApp({ log, routers, readiness }: { log: Logger; routers: Router[]; readiness: ReadinessCheck }) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
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
