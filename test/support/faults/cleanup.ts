// A safety net for the servers fault tests start: whatever a test's afterAll does not reach
// (a crash of the test worker, a hook that threw), the worker's exit still kills them, so no
// redis-server or postgres outlives the run. Each registered step must be synchronous.
const steps = new Set<() => void>();
let installed = false;

export function onWorkerExit(step: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', () => {
      for (const s of steps) {
        try {
          s();
        } catch {
          // best effort: the process is leaving
        }
      }
    });
  }
  steps.add(step);
  return () => steps.delete(step);
}
