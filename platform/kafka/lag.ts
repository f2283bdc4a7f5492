// How far a consumer group is behind the end of its topics: readiness and replays ask
// whether a projection has caught up; the operators' dashboard shows it per partition.
import type { Admin } from 'kafkajs';
import type { PartitionLag } from './lagGauge.js';

/** The group's lag on each partition of `topics`, from its committed offsets and the high watermarks. */
export async function partitionLags(admin: Admin, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  const lags: PartitionLag[] = [];
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const at = new Map((committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    for (const end of ends) {
      const position = at.get(end.partition) ?? -1;
      // -1: nothing committed yet; the group owes everything from the log start.
      lags.push({ topic, partition: end.partition, lag: Number(end.high) - (position < 0 ? Number(end.low) : position) });
    }
  }
  return lags;
}

export async function consumerLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  return (await partitionLags(admin, groupId, topics)).reduce((sum, p) => sum + p.lag, 0);
}
