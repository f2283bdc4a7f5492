// The live sale dashboard for operators. `GET /dashboard` and its assets are a static page
// holding nothing secret (uPlot, from the uplot package, drawn by our script: no CDN); the
// figures come from `GET /dashboard/stream`, server-sent events that need an operator token
// (`Authorization: Bearer`, like every operator route, so no token ever travels in a URL).
// The page asks for the token and reads the stream with fetch. A stream checks its token
// again every minute and ends when it is no longer valid; at most STREAMS_MAX run at once.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Router, type Response } from 'express';
import type { DashboardSnapshot, LiveFeed } from '../../../projections/saleDashboard/liveFeed.js';
import type { TokenVerifier } from '../auth.js';
import { HttpError } from '../errors.js';
import type { RateLimits } from '../rateLimit.js';

export const STREAMS_MAX = 50;
const RECHECK_TOKEN_MS = 60_000;

/**
 * Only this page may load scripts and styles, and only its own (same origin); it talks to
 * its own origin only. helmet's default policy stays on every other answer.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const require = createRequire(import.meta.url);
const ASSETS_DIR = 'producers/http/operators/dashboard';

/**
 * The page's own files: beside this module when it runs from the sources, else (compiled into
 * dist/, which holds JavaScript only) under the package root, where the image copies them.
 */
function own(name: string): URL {
  const beside = new URL(`./dashboard/${name}`, import.meta.url);
  if (fs.existsSync(beside)) return beside;
  for (let dir = new URL('./', import.meta.url); dir.pathname !== '/'; dir = new URL('../', dir)) {
    if (fs.existsSync(new URL('package.json', dir))) return new URL(`${ASSETS_DIR}/${name}`, dir);
  }
  return beside;
}

/** The page's files, read once at start: name → [content type, body]. */
function assets(): Map<string, [string, Buffer]> {
  return new Map<string, [string, Buffer]>([
    ['uPlot.iife.min.js', ['text/javascript; charset=utf-8', fs.readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'))]],
    ['uPlot.min.css', ['text/css; charset=utf-8', fs.readFileSync(require.resolve('uplot/dist/uPlot.min.css'))]],
    ['dashboard.js', ['text/javascript; charset=utf-8', fs.readFileSync(own('dashboard.js'))]],
    ['dashboard.css', ['text/css; charset=utf-8', fs.readFileSync(own('dashboard.css'))]],
  ]);
}

function sendStatic(res: Response, type: string, body: Buffer): void {
  res.set({ 'content-type': type, 'content-security-policy': DASHBOARD_CSP, 'cache-control': 'no-cache' }).send(body);
}

export function createDashboardRouter({ feed, verify, limits }: { feed: LiveFeed; verify: TokenVerifier; limits: RateLimits }): {
  router: Router;
  /** Ends every open stream (a stopping server would otherwise wait on them for good). */
  endStreams: () => void;
} {
  const router = Router();
  const page = fs.readFileSync(own('page.html'));
  const files = assets();
  const open = new Set<Response>();

  router.get('/dashboard', (_req, res) => sendStatic(res, 'text/html; charset=utf-8', page));
  router.get('/dashboard/assets/:name', (req, res, next) => {
    const file = files.get(req.params.name);
    if (!file) return next(new HttpError(404, 'no such asset'));
    sendStatic(res, file[0], file[1]);
  });

  router.get('/dashboard/stream', limits.operator(verify), (req, res, next) => {
    if (open.size >= STREAMS_MAX)
      return next(new HttpError(503, `at most ${STREAMS_MAX} dashboard streams at once`, undefined, { 'Retry-After': '10' }));
    open.add(res);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 5000\n\n');
    const send = (snapshot: DashboardSnapshot) => res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
    const unwatch = feed.watch(send);
    const authorization = req.get('authorization');
    const recheck = setInterval(() => {
      verify(authorization).then(
        (p) => p?.operator || res.end('event: expired\ndata: {}\n\n'),
        () => undefined,
      );
    }, RECHECK_TOKEN_MS);
    res.on('close', () => {
      open.delete(res);
      clearInterval(recheck);
      unwatch();
    });
  });
  return {
    router,
    endStreams: () => {
      for (const res of open) res.end();
    },
  };
}
