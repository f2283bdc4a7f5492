// `flashsale start` with api workers, in the primary: the api in N workers (pool.ts), every
// other role and the operations port here, as startSystem runs them. Keeping the consumers in
// the primary keeps one member per consumer group per process, as without workers, and makes
// the workers plain copies of one role that can die and be replaced without touching a Kafka
// group. /metrics here sums the primary's registry and every worker's with prom-client's
// AggregatorRegistry (counters and histograms add up; each metric's `aggregator` says otherwise).
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { OpsMetrics } from '../opsServer.js';
import type { Platform } from '../platform.js';
import { startSystem, type Role } from '../system.js';
import { startApiWorkerPool, type ApiWorkerPool } from './pool.js';

export type SystemWithApiWorkers = {
  port: number;
  opsPort: number;
  /** Resolves with the reason if the api workers keep dying and were given up on. */
  gaveUp: Promise<string>;
  /** Workers first (the requests in hand may await a decision from the claims role here), then the rest; whether all ended cleanly. */
  stop(): Promise<boolean>;
};

function summedMetrics(own: Registry, pool: ApiWorkerPool): OpsMetrics {
  return {
    contentType: own.contentType,
    async metrics() {
      const [mine, workers] = await Promise.all([own.getMetricsAsJSON(), pool.workerMetrics()]);
      return AggregatorRegistry.aggregate([mine, ...workers]).metrics();
    },
  };
}

export async function startWithApiWorkers(platform: Platform, roles: readonly Role[], count: number): Promise<SystemWithApiWorkers> {
  let pool: ApiWorkerPool;
  try {
    pool = await startApiWorkerPool({ count, log: platform.log });
  } catch (err) {
    await platform.close();
    throw err;
  }
  const here = roles.filter((r) => r !== 'api');
  const system = await startSystem(platform, here, { metrics: summedMetrics(platform.metrics, pool) }).catch(async (err: unknown) => {
    await pool.stop();
    await platform.close();
    throw err;
  });
  return {
    port: pool.port,
    opsPort: system.opsPort,
    gaveUp: pool.gaveUp,
    async stop() {
      const clean = await pool.stop();
      await system.stop();
      return clean;
    },
  };
}
