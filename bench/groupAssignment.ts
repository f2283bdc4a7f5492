// Which member of a consumer group holds which partition of a topic, from the group's own
// description: the decision stage on K shards loads its claims only once the group is stable
// with K members, and checks after the run that nobody was reassigned meanwhile.
import { AssignerProtocol, type Admin } from 'kafkajs';
import type { Owners } from './shardLayout.js';

export type GroupView = { state: string; members: number; owners: Owners };

export async function describeOwners(admin: Admin, groupId: string, topic: string): Promise<GroupView> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  const owners = new Map<number, string>();
  for (const m of group?.members ?? []) {
    const assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
    // The member id is `<clientId>-<uuid>`: the uuid's last characters name it well enough.
    for (const p of assignment?.assignment[topic] ?? []) owners.set(p, m.memberId.slice(-8));
  }
  return { state: group?.state ?? 'Dead', members: group?.members.length ?? 0, owners };
}

/** Waits (up to timeoutMs) until the group is stable with `members` members holding every one of the topic's `partitions`. */
export async function waitForStableGroup(
  admin: Admin,
  {
    groupId,
    topic,
    members,
    partitions,
    timeoutMs,
  }: { groupId: string; topic: string; members: number; partitions: number; timeoutMs: number },
): Promise<Owners> {
  const deadline = Date.now() + timeoutMs;
  let view: GroupView | undefined;
  while (Date.now() < deadline) {
    view = await describeOwners(admin, groupId, topic);
    if (view.state === 'Stable' && view.members === members && view.owners.size === partitions) return view.owners;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `group ${groupId} not stable with ${members} members within ${timeoutMs / 1000} s (last: ${view?.state}, ${view?.members} members)`,
  );
}

export const sameOwners = (a: Owners, b: Owners): boolean => a.size === b.size && [...a].every(([p, m]) => b.get(p) === m);
