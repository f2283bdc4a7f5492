// How far back every acknowledged payment is known to be settled. The webhook answers 2xx only
// once its PartnerPaymentReported is on `partner-events`, but settlement (settlement.ts) applies
// it later: after a broker or role failure, later by more than a reservation lasts. An expiry
// that released on the clock alone then released reservations paid in time, and reconciliation
// flagged their payments late (the nemesis suite, 3 brokers, seed 101: 7 payments acknowledged
// 11 s before their expiry). So the expiry releases only what was due at a moment whose
// payments are all settled: at `at`, the partitions' ends are noted; once the settlement
// group's committed offsets reach those ends, every payment acknowledged before `at` is settled
// (or settles nothing), and reservations due by `at` can go. A stalled settlement group stalls
// releases too: units stay reserved (none is sold twice), and its lag shows on /metrics.
import type { Admin } from 'kafkajs';

/** The partitions' ends at a moment: "topic:partition" -> high watermark. */
export type EndsAt = { at: number; ends: ReadonlyMap<string, bigint> };

/**
 * The latest moment whose ends the committed positions have all reached (or `through` if none
 * has yet), and the checks still waiting, oldest first. Pure: positions are
 * "topic:partition" -> the next offset the group will read.
 */
export function advanceFrontier(
  through: number,
  waiting: readonly EndsAt[],
  positions: ReadonlyMap<string, bigint>,
): { through: number; waiting: EndsAt[] } {
  let i = 0;
  while (i < waiting.length && [...waiting[i]!.ends].every(([p, end]) => (positions.get(p) ?? 0n) >= end)) {
    through = Math.max(through, waiting[i]!.at);
    i++;
  }
  return { through, waiting: waiting.slice(i) };
}

/** How many checks wait at most: one per turn; past this, new turns note no new check until older ones pass. */
const MAX_WAITING = 1_000;

export type SettledFrontier = {
  /** Every payment acknowledged before the returned time (ms) is settled. Asks Kafka. */
  settledThrough(): Promise<number>;
  stop(): Promise<void>;
};

export function createSettledFrontier({
  connectAdmin,
  groupId,
  topic,
  now = Date.now,
}: {
  connectAdmin: () => Promise<Admin>;
  /** The settlement group's id. */
  groupId: string;
  /** `partner-events`, by its full name. */
  topic: string;
  now?: () => number;
}): SettledFrontier {
  let admin: Admin | undefined;
  let through = 0;
  let waiting: EndsAt[] = [];

  return {
    async settledThrough() {
      admin ??= await connectAdmin();
      // The moment first, then the ends: a payment acknowledged before `at` was appended before the ends were read.
      const at = now();
      const offsets = await admin.fetchTopicOffsets(topic);
      if (waiting.length < MAX_WAITING)
        waiting.push({ at, ends: new Map(offsets.map((o) => [`${topic}:${o.partition}`, BigInt(o.high)])) });
      const low = new Map(offsets.map((o) => [`${topic}:${o.partition}`, BigInt(o.low)]));
      const committed = (await admin.fetchOffsets({ groupId, topics: [topic] })).flatMap((t) =>
        t.partitions.map((p) => [`${t.topic}:${p.partition}`, BigInt(p.offset)] as const),
      );
      // Nothing committed yet (-1): the group will start from the log's start.
      const positions = new Map(committed.map(([p, offset]) => [p, offset < 0n ? (low.get(p) ?? 0n) : offset]));
      ({ through, waiting } = advanceFrontier(through, waiting, positions));
      return through;
    },
    async stop() {
      await admin?.disconnect();
    },
  };
}
