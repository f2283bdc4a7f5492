// Creates the catalog's topics idempotently at start, with their partitions and configs.
import type { Admin } from 'kafkajs';
import { topicName, topics } from '../../schemas/topics.js';

export async function ensureTopics(admin: Admin, prefix: string): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(topicName(prefix, t.name)));
  if (missing.length === 0) return;
  await admin
    .createTopics({
      waitForLeaders: true,
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
