// What the operators see of the whole system from the api process: every consumer group's lag
// per partition (committed offsets against high watermarks), the stock left in each recent
// sale (read from the Redis store, never Postgres) and how many records wait on the
// dead-letter topic. Read at most every refreshMs and shared by every reader (the dashboard's
// stream, each Prometheus scrape), so a crowd of watchers costs one round of admin requests.
import type { Admin, Kafka } from 'kafkajs';
import { partitionLags } from '../../platform/kafka/lag.js';
import type { PartitionLag } from '../../platform/kafka/lagGauge.js';

export type GroupLag = PartitionLag & { group: string };

export type SaleStock = { saleId: string; status: string; stockRemaining: number; startsAt: number; endsAt: number };

export type SystemFigures = { at: number; lags: GroupLag[]; sales: SaleStock[]; deadLetters: number };

/** A sale stays on show this long after its end, so its final figures can be read. */
export const SHOWN_AFTER_END_MS = 10 * 60_000;
export const SYSTEM_REFRESH_MS = 2_000;

export function createSystemView({
  kafka,
  groups,
  deadLetterTopic,
  saleIds,
  readSale,
  refreshMs = SYSTEM_REFRESH_MS,
}: {
  kafka: Kafka;
  /** Every consumer group of the system, by id, with the topics it reads. */
  groups: readonly { groupId: string; topics: readonly string[] }[];
  deadLetterTopic: string;
  /** The sales worth a look: scheduled lately, or seen on the topics. */
  saleIds: () => Promise<readonly string[]>;
  readSale: (saleId: string, now: number) => Promise<SaleStock | undefined>;
  refreshMs?: number;
}) {
  let admin: Admin | undefined;
  let last: SystemFigures = { at: 0, lags: [], sales: [], deadLetters: 0 };
  let reading: Promise<SystemFigures> | undefined;

  async function lagsOf(a: Admin): Promise<GroupLag[]> {
    const lags: GroupLag[] = [];
    for (const g of groups) for (const l of await partitionLags(a, g.groupId, g.topics)) lags.push({ group: g.groupId, ...l });
    return lags;
  }

  async function salesNow(now: number): Promise<SaleStock[]> {
    const sales: SaleStock[] = [];
    for (const saleId of await saleIds()) {
      const sale = await readSale(saleId, now);
      if (sale && sale.startsAt <= now && sale.endsAt > now - SHOWN_AFTER_END_MS) sales.push(sale);
    }
    return sales.sort((a, b) => a.saleId.localeCompare(b.saleId));
  }

  async function readNow(): Promise<SystemFigures> {
    if (!admin) {
      const fresh = kafka.admin();
      await fresh.connect();
      admin = fresh;
    }
    const now = Date.now();
    const a = admin;
    const [lags, sales, deadLetters] = await Promise.all([
      lagsOf(a).catch(() => last.lags),
      salesNow(now).catch(() => last.sales),
      a
        .fetchTopicOffsets(deadLetterTopic)
        .then((ps) => ps.reduce((n, p) => n + Number(p.high) - Number(p.low), 0))
        .catch(() => last.deadLetters),
    ]);
    last = { at: now, lags, sales, deadLetters };
    return last;
  }

  return {
    /** The figures, at most refreshMs old; a failed part keeps its last figures. */
    read(): Promise<SystemFigures> {
      if (Date.now() - last.at < refreshMs) return Promise.resolve(last);
      reading ??= readNow()
        .catch(() => last)
        .finally(() => (reading = undefined));
      return reading;
    },
    async close(): Promise<void> {
      await admin?.disconnect().catch(() => undefined);
      admin = undefined;
    },
  };
}

export type SystemView = ReturnType<typeof createSystemView>;
