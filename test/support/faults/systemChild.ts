// Starts systemProcess.ts as a child and keeps what a crash report needs: how it ended and
// the tail of what it wrote to stderr (the stack of an unhandled error).
import { type Child, runChild } from '../childProcess.js';

export type SystemChild = Child & {
  port: number;
  /** Its operations port: /metrics, /healthz, /readyz. */
  opsPort: number;
  baseUrl: string;
  /** The last 8 KiB of its stderr. */
  stderr(): string;
  /** Undefined while it runs; how it ended once it has. */
  ended(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
};

/** `entry`: the process to run, relative to `from`; systemProcess.ts through tsx by default, or its compiled build. */
export async function startSystemChild(
  env: Record<string, string>,
  from?: string,
  entry = 'test/support/faults/systemProcess.ts',
): Promise<SystemChild> {
  const child = runChild(entry, env, from);
  let stderr = '';
  child.process.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8192);
  });
  let ending: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void child.exited.then((e) => (ending = e));
  const ready = await child.line((l) => l.ready === true, 120_000);
  const port = Number(ready.port);
  return Object.assign(child, {
    port,
    opsPort: Number(ready.opsPort),
    baseUrl: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    ended: () => ending,
  });
}
