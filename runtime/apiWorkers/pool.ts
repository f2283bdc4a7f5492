// The primary's side of `flashsale start --api-workers N`: forks N processes that each run the
// api role on PORT (node:cluster shares the port; the primary hands connections out in turn),
// starts another when one dies unasked (a log line, then the pause policy.ts gives), asks them
// for their metrics, and stops them at shutdown. A worker re-runs this same command line and
// finds itself a worker (cli/commands/start.ts), so sources under tsx and the build alike fork.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../platform/log.js';
import { isListening, isMetricsAnswer, type MetricsJson, type MetricsRequest } from './messages.js';
import { afterWorkerDeath } from './policy.js';

/** How long the first workers have to listen before the start fails. */
const START_DEADLINE_MS = 120_000;
/** How long a stopping worker has to finish the requests in hand before it is killed. */
const STOP_DEADLINE_MS = 30_000;
/** A scrape waits this long for each worker's metrics, then goes on without the silent one. */
const METRICS_TIMEOUT_MS = 2_000;

export type ApiWorkerPool = {
  port: number;
  /** The metrics of each listening worker, those that answered within METRICS_TIMEOUT_MS. */
  workerMetrics(): Promise<MetricsJson[]>;
  /** Resolves with the reason if workers keep dying and the pool gave up restarting them. */
  gaveUp: Promise<string>;
  /** SIGTERM to every worker, SIGKILL to those still running after STOP_DEADLINE_MS; whether every one exited 0. */
  stop(): Promise<boolean>;
};

type Exit = { code: number | null; signal: string | null };
/** `listens`: true once the worker said so; `listening` rejects if it exits before. */
type Forked = { worker: Worker; exited: Promise<Exit>; listening: Promise<number>; listens: boolean };

function forkWorker(): Forked {
  const worker = cluster.fork();
  const exited = new Promise<Exit>((resolve) => worker.once('exit', (code, signal) => resolve({ code, signal })));
  const forked: Forked = { worker, exited, listening: Promise.resolve(0), listens: false };
  forked.listening = new Promise<number>((resolve, reject) => {
    worker.on('message', (message) => {
      if (!isListening(message)) return;
      forked.listens = true;
      resolve(message.port);
    });
    void exited.then(({ code, signal }) => reject(new Error(`api worker ${worker.id} exited (${signal ?? code}) before it listened`)));
  });
  // Its exit is what the pool acts on; the rejection only matters to a start waiting for it.
  forked.listening.catch(() => undefined);
  return forked;
}

let lastRequestId = 0;

function metricsOf(worker: Worker, log: Logger): Promise<MetricsJson | undefined> {
  const request: MetricsRequest = { type: 'flashsale:metrics-request', requestId: ++lastRequestId };
  return new Promise((resolve) => {
    const finish = (metrics: MetricsJson | undefined) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(metrics);
    };
    const onMessage = (message: unknown) => {
      if (isMetricsAnswer(message) && message.requestId === request.requestId) finish(message.metrics);
    };
    const timer = setTimeout(() => {
      log.warn(
        { worker: worker.id, workerPid: worker.process.pid },
        'api worker did not send its metrics in time; left out of this scrape',
      );
      finish(undefined);
    }, METRICS_TIMEOUT_MS);
    worker.on('message', onMessage);
    if (!worker.isConnected()) return finish(undefined);
    worker.send(request, (err) => err && finish(undefined));
  });
}

async function stopWorkers(running: Map<Worker, Forked>, log: Logger): Promise<boolean> {
  const exits = [...running.values()].map(({ worker, exited }) => {
    worker.process.kill('SIGTERM');
    return exited;
  });
  const killer = setTimeout(() => {
    for (const worker of running.keys()) {
      log.error(
        { worker: worker.id, workerPid: worker.process.pid },
        `api worker still running ${STOP_DEADLINE_MS} ms after SIGTERM; killed`,
      );
      worker.process.kill('SIGKILL');
    }
  }, STOP_DEADLINE_MS);
  const ended = await Promise.all(exits);
  clearTimeout(killer);
  return ended.every((e) => e.code === 0);
}

/** The port once every one of the first workers listens; rejects if one exits first or at START_DEADLINE_MS. */
async function firstListening(first: Forked[]): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`api workers not listening within ${START_DEADLINE_MS} ms`)), START_DEADLINE_MS);
  });
  const ports = await Promise.race([Promise.all(first.map((f) => f.listening)), late]).finally(() => clearTimeout(timer));
  return ports[0] ?? 0;
}

export async function startApiWorkerPool({ count, log }: { count: number; log: Logger }): Promise<ApiWorkerPool> {
  const running = new Map<Worker, Forked>();
  const restarts = new Set<NodeJS.Timeout>();
  let crashesAtMs: number[] = [];
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  let giveUp: (reason: string) => void = () => undefined;
  const gaveUp = new Promise<string>((resolve) => (giveUp = resolve));

  function fork(): Forked {
    const forked = forkWorker();
    running.set(forked.worker, forked);
    void forked.exited.then((exit) => {
      running.delete(forked.worker);
      // While starting, a death fails the start (below); while stopping, it was asked for.
      if (phase === 'running') replace(forked.worker, exit);
    });
    return forked;
  }

  function replace(worker: Worker, { code, signal }: Exit): void {
    const next = afterWorkerDeath(crashesAtMs, Date.now());
    crashesAtMs = next.crashesAtMs;
    const died = { worker: worker.id, workerPid: worker.process.pid, code, signal };
    if (next.decision.action === 'give-up') {
      log.error({ ...died, reason: next.decision.reason }, 'api worker died; workers keep dying, so the system stops');
      return giveUp(next.decision.reason);
    }
    log.warn({ ...died, restartInMs: next.decision.delayMs }, 'api worker died; starting another');
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (phase !== 'running') return;
      // A replacement that dies before it listens is a death like any other, counted by its own exit.
      const { worker: replacement, listening: ready } = fork();
      ready.then(
        () => log.info({ worker: replacement.id, workerPid: replacement.process.pid, replaced: worker.id }, 'api worker replaced'),
        () => undefined,
      );
    }, next.decision.delayMs);
    restarts.add(timer);
  }

  async function stop(): Promise<boolean> {
    phase = 'stopping';
    for (const timer of restarts) clearTimeout(timer);
    return stopWorkers(running, log);
  }

  try {
    const first = Array.from({ length: count }, fork);
    const port = await firstListening(first);
    phase = 'running';
    log.info({ workers: count, port, pids: first.map((f) => f.worker.process.pid) }, 'api workers listening');
    return {
      port,
      gaveUp,
      stop,
      async workerMetrics() {
        const listening = [...running.values()].filter((f) => f.listens);
        return (await Promise.all(listening.map((f) => metricsOf(f.worker, log)))).filter((m) => m !== undefined);
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
