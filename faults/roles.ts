// The system under test as one process per role (`flashsale start --roles <one>` through
// test/support/faults/systemProcess.ts), so a nemesis can SIGKILL or SIGSTOP one role. A role
// that ends without the suite killing it is recorded as a crash and started again, as a
// supervisor would.
import { startSystemChild, type SystemChild } from '../test/support/faults/systemChild.js';
import type { History } from './history.js';
import { ROLE_NAMES, type RoleName } from './schedule.js';

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

export async function startRoles({
  env,
  apiPort,
  history,
  from,
}: {
  env: Record<string, string>;
  apiPort: number;
  history: History;
  /** The source tree to run (a copy with a planted bug); the repository by default. */
  from?: string;
}): Promise<Roles> {
  const running = new Map<RoleName, SystemChild>();
  const killedOnPurpose = new Set<SystemChild>();
  let crashes = 0;
  let stopping = false;

  async function start(role: RoleName): Promise<void> {
    const child = await startSystemChild({ ...env, ROLES: role, ...(role === 'api' ? { SYSTEM_PORT: String(apiPort) } : {}) }, from);
    running.set(role, child);
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

  await Promise.all(ROLE_NAMES.map(start));
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
    allRunning: () => ROLE_NAMES.every((r) => running.has(r)),
    crashes: () => crashes,
    async stop() {
      stopping = true;
      await Promise.all([...running.values()].map(stopChild));
      running.clear();
    },
  };
}

/** SIGTERM (after SIGCONT, in case it is paused); a role that does not finish its batch and commit within 10 s is killed. */
async function stopChild(c: SystemChild): Promise<void> {
  c.process.kill('SIGCONT');
  const gone = c.stop();
  const timer = setTimeout(() => c.process.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}
