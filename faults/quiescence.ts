// Quiet enough to judge: every consumer group of the run has committed up to the end of every
// partition it reads (lag 0), for a moment in a row, and nothing is still being done.
import type { Kafka } from 'kafkajs';

/** The total lag of the run's consumer groups (`<prefix>.flashsale.*`), over every topic each has committed on. */
export async function consumerLag(kafka: Kafka, topicPrefix: string): Promise<{ lag: number; groups: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    const ours = groups.map((g) => g.groupId).filter((id) => id.startsWith(`${topicPrefix}.flashsale.`));
    const ends = new Map<string, Map<number, number>>();
    let lag = 0;
    for (const groupId of ours) {
      for (const t of await admin.fetchOffsets({ groupId })) {
        if (!ends.has(t.topic))
          ends.set(t.topic, new Map((await admin.fetchTopicOffsets(t.topic)).map((p) => [p.partition, Number(p.high)])));
        const high = ends.get(t.topic)!;
        for (const p of t.partitions) {
          const end = high.get(p.partition) ?? 0;
          const at = Number(p.offset);
          lag += at < 0 ? end : Math.max(0, end - at);
        }
      }
    }
    return { lag, groups: ours.length };
  } finally {
    await admin.disconnect();
  }
}

/** Resolves once the lag has been 0 in `stableChecks` reads in a row; rejects at the deadline with the last lag. */
export async function waitForQuiet(kafka: Kafka, topicPrefix: string, { timeoutMs = 90_000, stableChecks = 3 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  let last = { lag: -1, groups: 0 };
  while (Date.now() < deadline) {
    last = await consumerLag(kafka, topicPrefix).catch(() => ({ lag: -1, groups: 0 }));
    quiet = last.lag === 0 && last.groups > 0 ? quiet + 1 : 0;
    if (quiet >= stableChecks) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the run's consumers did not catch up within ${timeoutMs} ms (lag ${last.lag} over ${last.groups} groups)`);
}
