// Creates the catalog's topics idempotently at start, with their partitions, configs and
// replication, or (KAFKA_TOPICS=verify, on a cluster where the application may not create
// topics) only checks them; returns only once every partition has a leader (produce
// requests before that fail).
import type { Admin } from 'kafkajs';
import { topicName, topics } from '../../schemas/topics.js';
import type { TopicsMode } from '../connections.js';
import { FlashsaleError } from '../errors.js';

export type Durability = { replicationFactor: number; minInsyncReplicas: number };

/**
 * The replication of new topics: what is configured, else what the cluster allows. With
 * acks=all a write is acknowledged once min.insync.replicas copies have it, so 2 of 3 keeps
 * every acknowledged event through the loss of one broker; a one- or two-broker cluster
 * cannot offer that, and asking for it would refuse every write while one broker is down.
 */
export function durabilityFor(brokers: number, configured: Partial<Durability> = {}): Durability {
  const replicationFactor = configured.replicationFactor ?? Math.max(1, Math.min(3, brokers));
  const minInsyncReplicas = configured.minInsyncReplicas ?? (replicationFactor >= 3 ? 2 : 1);
  if (replicationFactor > brokers)
    throw new Error(`KAFKA_REPLICATION_FACTOR ${replicationFactor} exceeds the ${brokers} broker(s) the cluster reports`);
  if (minInsyncReplicas > replicationFactor)
    throw new Error(
      `KAFKA_MIN_INSYNC_REPLICAS ${minInsyncReplicas} exceeds the replication factor ${replicationFactor}: no write could succeed`,
    );
  return { replicationFactor, minInsyncReplicas };
}

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

/**
 * Topics that exist already keep their settings: raising min.insync.replicas on a live topic
 * is an operator's step (kafka-configs --alter), not something each process start should do.
 */
export async function ensureTopics(admin: Admin, prefix: string, configured: Partial<Durability> = {}): Promise<void> {
  const names = topics.map((t) => topicName(prefix, t.name));
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(topicName(prefix, t.name)));
  if (missing.length > 0) {
    const { brokers } = await admin.describeCluster();
    const { replicationFactor, minInsyncReplicas } = durabilityFor(brokers.length, configured);
    // Not kafkajs's own wait for leaders (its default): it asks for metadata too early and
    // throws "does not host this topic-partition" (kafkajs#815); leaders are awaited below.
    await admin
      .createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => ({
          topic: topicName(prefix, t.name),
          numPartitions: t.partitions,
          replicationFactor,
          configEntries: [
            { name: 'retention.ms', value: String(t.retentionMs) },
            { name: 'cleanup.policy', value: t.cleanupPolicy },
            { name: 'min.insync.replicas', value: String(minInsyncReplicas) },
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

/** The cluster lacks a topic of the catalog, or has one with other partitions: an operator's step, not something a retry fixes. */
export class TopicCatalogError extends FlashsaleError {
  override name = 'TopicCatalogError';
  readonly retriable = false;
}

/**
 * KAFKA_TOPICS=verify: every topic of the catalog must exist with the catalog's partitions
 * (keys are spread over that many); one line names every topic missing or different.
 */
export async function verifyTopics(admin: Admin, prefix: string): Promise<void> {
  const expected = new Map(topics.map((t) => [topicName(prefix, t.name), t.partitions]));
  const existing = new Set(await admin.listTopics());
  const missing = [...expected.keys()].filter((name) => !existing.has(name));
  const present = [...expected.keys()].filter((name) => existing.has(name));
  const { topics: meta } = present.length > 0 ? await admin.fetchTopicMetadata({ topics: present }) : { topics: [] };
  const different = meta
    .filter((t) => t.partitions.length !== expected.get(t.name))
    .map((t) => `${t.name} has ${t.partitions.length} partitions, not ${expected.get(t.name)}`);
  if (missing.length > 0 || different.length > 0) {
    const problems = [
      ...(missing.length > 0 ? [`missing topics: ${missing.map((name) => `${name} (${expected.get(name)} partitions)`).join(', ')}`] : []),
      ...different,
    ];
    throw new TopicCatalogError(
      `KAFKA_TOPICS=verify: the cluster does not hold the topic catalog (flashsale topics): ${problems.join('; ')}`,
    );
  }
  await waitForLeaders(admin, [...expected.keys()]);
}

/** The start's topic step: create what is missing, or only verify the catalog. */
export async function prepareTopics(
  admin: Admin,
  { prefix, mode, durability }: { prefix: string; mode: TopicsMode; durability?: Partial<Durability> },
): Promise<void> {
  if (mode === 'verify') await verifyTopics(admin, prefix);
  else await ensureTopics(admin, prefix, durability);
}
