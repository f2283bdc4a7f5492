// Creates the catalog's topics idempotently at start, with their partitions and configs,
// and returns only once every partition has a leader (produce requests before that fail).
import type { Admin } from 'kafkajs';
import { topicName, topics } from '../../schemas/topics.js';

const LEADER_TIMEOUT_MS = 30_000;

export async function waitForLeaders(admin: Admin, names: string[]): Promise<void> {
  const deadline = Date.now() + LEADER_TIMEOUT_MS;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: names });
      if (meta.length === names.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch {
      // Metadata for a topic created a moment ago may not have reached this broker yet.
    }
    if (Date.now() > deadline) throw new Error(`topics ${names.join(', ')} have no leaders after ${LEADER_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function ensureTopics(admin: Admin, prefix: string): Promise<void> {
  const names = topics.map((t) => topicName(prefix, t.name));
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(topicName(prefix, t.name)));
  if (missing.length > 0) {
    // Not kafkajs's own wait for leaders (its default): it asks for metadata too early and
    // throws "does not host this topic-partition" (kafkajs#815); leaders are awaited below.
    await admin
      .createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => ({
          topic: topicName(prefix, t.name),
          numPartitions: t.partitions,
          replicationFactor: -1, // the broker's default: 1 locally, 3 in a real cluster
          configEntries: [
            { name: 'retention.ms', value: String(t.retentionMs) },
            { name: 'cleanup.policy', value: t.cleanupPolicy },
            { name: 'min.insync.replicas', value: '1' },
          ],
        })),
      })
      .catch((err: { type?: string }) => {
        // Another process created them meanwhile: that is the idempotent outcome we wanted.
        if (err.type !== 'TOPIC_ALREADY_EXISTS') throw err;
      });
  }
  await waitForLeaders(admin, names);
}
