// Waits until every consumer group of a deployment has caught up with its topics, so one
// scenario's backlog (decisions, projections) never runs during the next one's timing.
import { AssignerProtocol, type Admin } from 'kafkajs';
import { consumerLag } from '../platform/kafka/lag.js';

async function subscriptions(admin: Admin, topicPrefix: string): Promise<Map<string, string[]>> {
  const { groups } = await admin.listGroups();
  const ours = groups.map((g) => g.groupId).filter((id) => id.startsWith(`${topicPrefix}.`));
  const out = new Map<string, string[]>();
  if (ours.length === 0) return out;
  const described = await admin.describeGroups(ours);
  for (const g of described.groups) {
    const topics = new Set<string>();
    for (const m of g.members) {
      const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
      for (const t of meta?.topics ?? []) topics.add(t);
    }
    if (topics.size > 0) out.set(g.groupId, [...topics]);
  }
  return out;
}

/** Total lag of the deployment's running groups. */
export async function deploymentLag(admin: Admin, topicPrefix: string): Promise<{ total: number; byGroup: Record<string, number> }> {
  const byGroup: Record<string, number> = {};
  let total = 0;
  for (const [groupId, topics] of await subscriptions(admin, topicPrefix)) {
    const lag = await consumerLag(admin, groupId, topics);
    byGroup[groupId] = lag;
    total += lag;
  }
  return { total, byGroup };
}

export async function waitForQuiet(
  admin: Admin,
  topicPrefix: string,
  { timeoutMs, expectGroups = 1 }: { timeoutMs: number; expectGroups?: number },
): Promise<number> {
  const started = Date.now();
  let last: Awaited<ReturnType<typeof deploymentLag>> = { total: -1, byGroup: {} };
  while (Date.now() - started < timeoutMs) {
    last = await deploymentLag(admin, topicPrefix);
    if (last.total === 0 && Object.keys(last.byGroup).length >= expectGroups) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`consumers still behind after ${timeoutMs / 1000} s: ${JSON.stringify(last.byGroup)}`);
}
