// Where the machine's CPU went during a measurement: CPU seconds per process group (the
// system under test, the load generator, Kafka, the registry, Redis, PostgreSQL, anything
// else) from /proc, between two snapshots. On two shared cores this says what a figure was
// bounded by. Linux only; elsewhere it reports nothing.
import fs from 'node:fs';

type Snapshot = { at: number; ticks: Map<number, { group: string; ticks: number }>; machineBusy: number };

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function groupOf(cmdline: string, benchPids: ReadonlyMap<number, string>, pid: number): string {
  const named = benchPids.get(pid);
  if (named) return named;
  if (cmdline.includes('kafka.Kafka')) return 'kafka';
  if (cmdline.includes('apicurio')) return 'registry';
  if (cmdline.startsWith('redis-server')) return 'redis';
  if (cmdline.startsWith('postgres')) return 'postgres';
  return 'other';
}

/** Busy ticks of the whole machine (every CPU): processes that came and went between two snapshots count here too. */
function machineBusy(): number {
  try {
    const [, ...fields] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  } catch {
    return 0;
  }
}

export function snapshot(benchPids: ReadonlyMap<number, string> = new Map()): Snapshot {
  const ticks = new Map<number, { group: string; ticks: number }>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return { at: performance.now(), ticks, machineBusy: 0 };
  }
  for (const d of entries) {
    const pid = Number(d);
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const used = Number(fields[11]) + Number(fields[12]); // utime + stime
      const cmdline = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ');
      ticks.set(pid, { group: groupOf(cmdline, benchPids, pid), ticks: used });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return { at: performance.now(), ticks, machineBusy: machineBusy() };
}

/** `machine`: cores busy in all; `cores`: per group, where `other` is whatever the groups do not account for. */
export type CpuUse = { seconds: number; machine: number; cores: Record<string, number> };

/** Cores used per group between two snapshots (1.00 = one core busy the whole time). */
export function cpuBetween(before: Snapshot, after: Snapshot): CpuUse {
  const seconds = (after.at - before.at) / 1000;
  const used: Record<string, number> = {};
  for (const [pid, a] of after.ticks) {
    const b = before.ticks.get(pid)?.ticks ?? 0;
    used[a.group] = (used[a.group] ?? 0) + (a.ticks - b) / TICKS_PER_SECOND;
  }
  const machine = (after.machineBusy - before.machineBusy) / TICKS_PER_SECOND;
  delete used.other;
  used.other = Math.max(0, machine - Object.values(used).reduce((a, b) => a + b, 0));
  const cores: Record<string, number> = {};
  for (const [g, s] of Object.entries(used).sort((x, y) => y[1] - x[1])) if (s > 0) cores[g] = Math.round((s / seconds) * 100) / 100;
  return { seconds, machine: Math.round((machine / seconds) * 100) / 100, cores };
}

/**
 * Waits (up to maxWaitMs) for a second in which processes outside the bench and the stack
 * used less than `threshold` cores, so a measurement does not start in a neighbour's burst.
 * Returns what that last second's neighbours used.
 */
export async function waitForQuietMachine(
  benchPids: () => ReadonlyMap<number, string>,
  maxWaitMs: number,
  threshold = 0.2,
): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const before = snapshot(benchPids());
    await new Promise((r) => setTimeout(r, 1_000));
    const other = cpuBetween(before, snapshot(benchPids())).cores.other ?? 0;
    if (other < threshold || Date.now() >= deadline) return other;
  }
}
