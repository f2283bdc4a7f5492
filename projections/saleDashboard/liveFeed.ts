// The live sale dashboard's feed: while at least one operator watches, a consumer follows the
// claims, sales and reconciliation topics from their ends (a group of its own per process,
// that never commits: it reads, it owns nothing) and folds them into figures.ts; every
// TICK_MS each watcher gets one snapshot joining those figures with the system view (stock
// from Redis, consumer lag, dead letters). Nobody watching: the consumer stops after
// IDLE_STOP_MS, and the api decodes nothing for the dashboard.
import crypto from 'node:crypto';
import os from 'node:os';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../../platform/log.js';
import type { EventCodec } from '../../platform/registry/codec.js';
import { createSaleFigures, type MismatchSeen, type SaleRates } from './figures.js';
import type { GroupLag, SaleStock, SystemView } from './systemView.js';

export const TICK_MS = 1_000;
export const IDLE_STOP_MS = 30_000;

export type SaleRow = SaleStock & Omit<SaleRates, 'saleId'>;

export type DashboardSnapshot = {
  at: number;
  /** False until the feed's consumer has joined: rates read 0 until then. */
  following: boolean;
  sales: SaleRow[];
  lags: GroupLag[];
  deadLetters: number;
  mismatches: MismatchSeen[];
};

export type Watcher = (snapshot: DashboardSnapshot) => void;

const NO_RATES: Omit<SaleRates, 'saleId'> = {
  claimsPerSecond: 0,
  decisionsPerSecond: 0,
  granted: 0,
  rejected: 0,
  claimToDecisionMsP99: null,
};

export function createLiveFeed({
  kafka,
  codec,
  log,
  groupIdBase,
  topics,
  system,
}: {
  kafka: Kafka;
  codec: EventCodec;
  log: Logger;
  /** The feed's group id is this, then the host and a random suffix: each process reads everything. */
  groupIdBase: string;
  /** Full topic names: claims, sales and reconciliation. */
  topics: readonly string[];
  system: SystemView;
}) {
  const watchers = new Set<Watcher>();
  let figures = createSaleFigures();
  let consumer: Consumer | undefined;
  let following = false;
  let ticker: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;

  async function follow(): Promise<void> {
    figures = createSaleFigures();
    const c = kafka.consumer({ groupId: `${groupIdBase}.${os.hostname()}.${crypto.randomUUID().slice(0, 8)}`, maxWaitTimeInMs: 250 });
    consumer = c;
    c.on(c.events.GROUP_JOIN, () => (following = true));
    await c.connect();
    await c.subscribe({ topics: [...topics], fromBeginning: false });
    await c.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          // A record the codec cannot read is the consumers' business (dead-lettered there); here it is skipped.
          const event = await codec.decode(message.value).catch(() => undefined);
          if (event) figures.apply(event);
        }
      },
    });
  }

  async function unfollow(): Promise<void> {
    const c = consumer;
    consumer = undefined;
    following = false;
    await c?.disconnect().catch(() => undefined);
  }

  async function tick(): Promise<void> {
    const now = Date.now();
    const view = await system.read();
    const { sales: rates, mismatches } = figures.snapshot(now);
    const byId = new Map(rates.map(({ saleId, ...r }) => [saleId, r]));
    const snapshot: DashboardSnapshot = {
      at: now,
      following,
      sales: view.sales.map((s) => ({ ...s, ...(byId.get(s.saleId) ?? NO_RATES) })),
      lags: view.lags,
      deadLetters: view.deadLetters,
      mismatches,
    };
    for (const w of watchers) w(snapshot);
  }

  function start(): void {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    if (!consumer) {
      follow().catch((err: Error) => {
        log.warn({ err: err.message }, 'dashboard feed could not follow the topics; trying again with the next watcher');
        void unfollow();
      });
    }
    ticker ??= setInterval(() => void tick().catch((err: Error) => log.warn({ err: err.message }, 'dashboard tick failed')), TICK_MS);
  }

  function idle(): void {
    if (ticker) clearInterval(ticker);
    ticker = undefined;
    idleTimer = setTimeout(() => void unfollow(), IDLE_STOP_MS);
    idleTimer.unref();
  }

  return {
    /** Adds a watcher: snapshots every TICK_MS until the returned function is called. */
    watch(watcher: Watcher): () => void {
      watchers.add(watcher);
      start();
      return () => {
        watchers.delete(watcher);
        if (watchers.size === 0) idle();
      };
    },
    /** The sales the feed has seen on the topics lately (besides those the catalog lists). */
    seenSaleIds: () => figures.snapshot(Date.now()).sales.map((s) => s.saleId),
    async close(): Promise<void> {
      watchers.clear();
      if (ticker) clearInterval(ticker);
      if (idleTimer) clearTimeout(idleTimer);
      await unfollow();
    },
  };
}

export type LiveFeed = ReturnType<typeof createLiveFeed>;
