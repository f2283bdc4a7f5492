// Small process helpers for the local stack: detached daemons with pid files, and waiting
// for a part to answer with a deadline instead of sleeping blindly.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { paths } from './paths.js';

export function pidFile(part: string): string {
  return path.join(paths.state, `${part}.pid`);
}

export function runningPid(part: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile(part), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Starts a daemon that outlives this process; its output goes to the part's log file. */
export function startDaemon(part: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  fs.mkdirSync(paths.logs, { recursive: true });
  const out = fs.openSync(path.join(paths.logs, `${part}.out`), 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`${part}: could not start ${command}`);
  child.unref();
  fs.writeFileSync(pidFile(part), String(child.pid));
  return child.pid;
}

export async function stopDaemon(part: string, timeoutMs = 30_000): Promise<boolean> {
  const pid = runningPid(part);
  fs.rmSync(pidFile(part), { force: true });
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await sleep(200);
  }
  process.kill(pid, 'SIGKILL');
  return true;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls `check` until it answers true or the deadline passes; returns the last error for the one-line reason. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(250);
  }
  throw new Error(`${what} did not answer within ${Math.round(timeoutMs / 1000)} s${lastError ? ` (${lastError})` : ''}`);
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Runs a command to completion, throwing with its last output line on failure. */
export function run(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', ...opts, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n');
    throw new Error(`${command} ${args.join(' ')} failed: ${output.at(-1) ?? result.error?.message ?? 'no output'}`);
  }
  return result.stdout;
}
