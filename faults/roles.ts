// The system under test as one process per role (`flashsale start --roles <one>` through
// test/support/faults/systemProcess.ts, compiled by roleBuild.ts), so a nemesis can SIGKILL or
// SIGSTOP one role. A role
// that ends without the suite killing it is recorded as a crash and started again, as a
// supervisor would.
import { startSystemChild, type SystemChild } from '../test/support/faults/systemChild.js';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { History } from './history.js';
import { buildRoleEntry } from './roleBuild.js';
import { processesFor, type RoleName } from './schedule.js';

export type Roles = {
  kill(role: RoleName): Promise<void>;
  start(role: RoleName): Promise<void>;
  pause(role: RoleName): void;
  resume(role: RoleName): void;
  /** Every role running (none killed and not yet back). */
  allRunning(): boolean;
  crashes(): number;
  stop(): Promise<void>;
};

const REPOSITORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type RoleOptions = {
  env: Record<string, string>;
  apiPort: number;
  history: History;
  /** The source tree to run (a copy with a planted bug); the repository by default. */
  from?: string;
  /** Where each role's log goes (<logDir>/<role>.log, appended across restarts), to read after a violation. */
  logDir?: string;
  /** The sale's shards: above one, a second claims process runs (schedule.ts processesFor). */
  shards?: number;
};

export async function startRoles({ env, apiPort, history, from, logDir, shards = 1 }: RoleOptions): Promise<Roles> {
  const processes = processesFor(shards);
  const running = new Map<RoleName, SystemChild>();
  const killedOnPurpose = new Set<SystemChild>();
  let crashes = 0;
  let stopping = false;
  const root = from ?? REPOSITORY;
  const entry = await buildRoleEntry(root);

  async function start(role: RoleName): Promise<void> {
    const roles = role === 'claims-2' ? 'claims' : role;
    const child = await startSystemChild(
      { ...env, ROLES: roles, ...(role === 'api' ? { SYSTEM_PORT: String(apiPort) } : {}) },
      root,
      entry,
    );
    running.set(role, child);
    if (logDir) keepLog(child, path.join(logDir, `${role}.log`));
    void child.exited.then((ended) => {
      if (stopping || killedOnPurpose.has(child)) return;
      crashes++;
      history.record({
        type: 'crash',
        role,
        at: Date.now(),
        ended: String(ended.code ?? ended.signal),
        stderr: child.stderr().slice(-2000),
      });
      if (running.get(role) === child) {
        running.delete(role);
        void start(role).catch(() => undefined);
      }
    });
  }

  if (logDir) for (const role of processes) fs.rmSync(path.join(logDir, `${role}.log`), { force: true });
  await Promise.all(processes.map(start));
  return {
    async kill(role) {
      const child = running.get(role);
      if (!child) return;
      killedOnPurpose.add(child);
      running.delete(role);
      child.process.kill('SIGKILL');
      await child.exited;
    },
    start: async (role) => {
      if (!running.has(role)) await start(role);
    },
    pause: (role) => void running.get(role)?.process.kill('SIGSTOP'),
    resume: (role) => void running.get(role)?.process.kill('SIGCONT'),
    allRunning: () => processes.every((r) => running.has(r)),
    crashes: () => crashes,
    async stop() {
      stopping = true;
      await Promise.all([...running.values()].map(stopChild));
      running.clear();
    },
  };
}

/** A role's output appended to its log file (a restarted role goes on in the same file). */
function keepLog(child: SystemChild, file: string): void {
  child.process.stdout?.pipe(fs.createWriteStream(file, { flags: 'a' }));
}

/** SIGTERM (after SIGCONT, in case it is paused); a role that does not finish its batch and commit within 10 s is killed. */
async function stopChild(c: SystemChild): Promise<void> {
  c.process.kill('SIGCONT');
  const gone = c.stop();
  const timer = setTimeout(() => c.process.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}
