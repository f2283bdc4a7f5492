// How far a consumer group is behind the end of its topics: readiness and replays ask
// whether a projection has caught up.
import type { Admin } from 'kafkajs';

export async function consumerLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  let lag = 0;
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const at = new Map((committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    for (const end of ends) {
      const position = at.get(end.partition) ?? -1;
      // -1: nothing committed yet; the group owes everything from the log start.
      lag += Number(end.high) - (position < 0 ? Number(end.low) : position);
    }
  }
  return lag;
}
