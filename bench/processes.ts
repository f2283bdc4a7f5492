// The bench's child processes (system under test, baselines, load generator): each runs
// TypeScript through tsx in its own Node process, speaks one JSON line on stdout, and
// logs to a file. Every child is tracked so a failing run never leaves a server behind.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

export type Child = {
  name: string;
  pid: number;
  /** The first JSON line the child printed (a server's {port}). */
  hello: Record<string, unknown>;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
};

const running = new Set<ChildProcess>();
const names = new Map<number, string>();

/** The running children by pid, named, for the CPU accounting (cpu.ts). */
export function childNames(): ReadonlyMap<number, string> {
  return new Map([...names, [process.pid, 'bench driver']]);
}

/** Kills every child still running (on failure or interrupt): by pid, never by name. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}
process.once('exit', killAll);

export type SpawnOptions = {
  name: string;
  script: string;
  /** One JSON argument (our own scripts) ... */
  arg?: unknown;
  /** ... or plain arguments. */
  args?: string[];
  env?: Record<string, string>;
  logDir: string;
  /** Extra flags for node itself, e.g. --cpu-prof. */
  nodeFlags?: string[];
  readyTimeoutMs?: number;
};

function start(opts: SpawnOptions): { child: ChildProcess; lines: AsyncIterableIterator<string>; exited: Promise<number | null> } {
  const log = fs.openSync(path.join(opts.logDir, `${opts.name}.log`), 'a');
  const child = spawn(
    process.execPath,
    [
      ...(opts.nodeFlags ?? []),
      '--import',
      'tsx',
      opts.script,
      ...(opts.args ?? (opts.arg === undefined ? [] : [JSON.stringify(opts.arg)])),
    ],
    { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', log] },
  );
  fs.closeSync(log);
  running.add(child);
  if (child.pid) names.set(child.pid, opts.name);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      if (child.pid) names.delete(child.pid);
      resolve(code);
    }),
  );
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines, exited };
}

async function firstJsonLine(lines: AsyncIterableIterator<string>): Promise<Record<string, unknown> | undefined> {
  for (;;) {
    const next = await lines.next();
    if (next.done) return undefined;
    const line = next.value.trim();
    if (!line.startsWith('{')) continue;
    // pino's log lines share stdout: the hello line is the one that is not a log record.
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (!('level' in parsed && 'msg' in parsed)) return parsed;
  }
}

/** Starts a long-running child and resolves once it has printed its JSON hello line. */
export async function startServer(opts: SpawnOptions): Promise<Child> {
  const { child, lines, exited } = start(opts);
  const timeoutMs = opts.readyTimeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  const hello = await Promise.race([
    firstJsonLine(lines),
    exited.then((code) => {
      throw new Error(`${opts.name} exited (${code}) before it was ready; see ${opts.logDir}/${opts.name}.log`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${opts.name} not ready after ${timeoutMs / 1000} s`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  if (!hello) throw new Error(`${opts.name} closed its output before it was ready`);
  // Keep draining stdout so the child never blocks on a full pipe.
  void (async () => {
    for await (const _ of lines);
  })().catch(() => undefined);
  return {
    name: opts.name,
    pid: child.pid ?? -1,
    hello,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a child to its end and returns the last JSON line it printed. */
export async function runToEnd<T>(opts: SpawnOptions & { timeoutMs: number }): Promise<T> {
  const { child, lines, exited } = start(opts);
  let last: string | undefined;
  const collect = (async () => {
    for await (const line of lines) if (line.trim().startsWith('{') && !line.includes('"msg":')) last = line;
  })();
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  await collect;
  if (code !== 0 || !last) throw new Error(`${opts.name} failed (exit ${code}); see ${opts.logDir}/${opts.name}.log`);
  return JSON.parse(last) as T;
}
