// The operations port (OPS_PORT), in every process whatever its roles: Prometheus metrics,
// liveness and readiness, for the operators' tooling. Metrics say how busy each sale is and
// how the consumers fare, which is the operators' business and not the public's: they are
// served here only, never on the API port, so a deployment keeps this port off the internet
// (a scraper reaches it from inside). A process without the api role has no other port.
import http from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../platform/log.js';
import type { ReadinessCheck } from '../producers/http/app.js';

export type OpsServer = { port: number; stop(): Promise<void> };

/** What /metrics serves: the process's registry, or (with api workers) the sum of every process's. */
export type OpsMetrics = Pick<Registry, 'contentType' | 'metrics'>;

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

const json = (res: http.ServerResponse, status: number, body: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));

export async function startOpsServer({
  port,
  metrics,
  readiness,
  log,
}: {
  /** 0: any free port (tests, several processes on one machine). */
  port: number;
  metrics: OpsMetrics;
  readiness: ReadinessCheck;
  log: Logger;
}): Promise<OpsServer> {
  const answer = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'GET only' });
    if (path === '/metrics') return send(res, 200, metrics.contentType, await metrics.metrics());
    if (path === '/healthz') return json(res, 200, { ok: true });
    if (path === '/readyz') {
      const { ready, parts } = await readiness();
      return json(res, ready ? 200 : 503, { ready, parts });
    }
    json(res, 404, { error: 'no such route' });
  };
  const server = http.createServer((req, res) => {
    answer(req, res).catch((err: unknown) => {
      log.error({ err, path: req.url }, 'operations port: unhandled error');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  log.info({ port: bound }, 'operations port listening (metrics, healthz, readyz)');
  return {
    port: bound,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
