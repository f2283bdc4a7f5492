// The load generator, in its own process so it never shares an event loop with the server
// under test: autocannon against one route, each request taking the next prepared claim
// (user token + transaction) from a file. Prints its figures as JSON on stdout and, if
// asked, writes when each transaction's request was sent (for claim-to-decision latency).
//   tsx bench/loadgen.ts '<json options>'
//
// A fixed offered rate: autocannon paces each connection by a quota per second, which it
// spends back to back at the start of every second, so one instance offers its whole
// second's load as one burst. `phases` autocannon instances, started 1000/phases ms apart
// and each offering rate/phases, spread that burst evenly over the second instead.
import fs from 'node:fs';
import autocannon from 'autocannon';

type Options = {
  url: string;
  path: string;
  claimsFile: string;
  connections: number;
  /** Requests to send in all (each claim at most once while amount <= claims). */
  amount: number;
  /** Requests per second offered in all; omitted: as fast as the server answers (saturation). */
  overallRate?: number;
  phases?: number;
  sendTimesFile?: string;
  /** Stop after this long whatever is left (a server far slower than offered). */
  maxSeconds?: number;
};

type PreparedClaim = { token: string; transactionId: string };

export type LoadgenResult = {
  requests: number;
  /**
   * Answers per second in the steady middle of the run: between the answer at 10% and the
   * one at 90% of all answers, so neither the ramp (400 connections opening, code warming)
   * nor the tail (the last connections draining) weighs on a run of a few seconds.
   */
  rps: number;
  /** Answers per second from the first send to the last answer, ramp and tail included. */
  wholeRunRps: number;
  /** Requests per second from the first send to the last: the rate actually offered. */
  sendRate: number;
  durationSeconds: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  /** The load generator's own CPU use, in cores (it has exited before the bench looks at /proc). */
  cores: number;
};

const opts = JSON.parse(process.argv[2] ?? '{}') as Options;
const claims = JSON.parse(fs.readFileSync(opts.claimsFile, 'utf8')) as PreparedClaim[];
const sentAt = new Map<string, number>();
// Timed from our own hooks (performance.now()): autocannon calls back only at its next
// one-second tick after the last answer, which on a 4 s run read as up to a quarter too slow.
let firstSend = Infinity;
let lastSend = 0;
let sends = 0;
const answeredAtMs: number[] = [];
const responseMs: number[] = [];
const statusCodes: Record<string, number> = {};
let next = 0;

function split(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

function runPhase(phase: number, phases: number): Promise<autocannon.Result> {
  const connections = Math.max(1, split(opts.connections, phases, phase));
  let done: (r: autocannon.Result) => void = () => undefined;
  let failed: (err: Error) => void = () => undefined;
  const result = new Promise<autocannon.Result>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const options: autocannon.Options = {
    url: opts.url,
    connections,
    amount: Math.max(connections, split(opts.amount, phases, phase)),
    ...(opts.overallRate ? { overallRate: Math.max(connections, split(opts.overallRate, phases, phase)) } : {}),
    ...(opts.maxSeconds ? { duration: opts.maxSeconds } : {}),
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: opts.path,
        // Called as each request is built, which autocannon does right before writing it.
        setupRequest: (req) => {
          const claim = claims[next++ % claims.length]!;
          lastSend = performance.now();
          firstSend = Math.min(firstSend, lastSend);
          sends++;
          // Wall-clock time, to compare with the decision events' occurredAt.
          if (opts.sendTimesFile && !sentAt.has(claim.transactionId)) sentAt.set(claim.transactionId, Date.now());
          return {
            ...req,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${claim.token}` },
            body: JSON.stringify({ transactionId: claim.transactionId, quantity: 1 }),
          };
        },
      },
    ],
  };
  const instance = autocannon(options, (err, r) => (err ? failed(err instanceof Error ? err : new Error(String(err))) : done(r)));
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    answeredAtMs.push(performance.now());
    responseMs.push(responseTime);
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
  });
  return result;
}

/** Answers per second between the 10th and the 90th percentile answer; undefined for too few answers to tell. */
function steadyRate(answeredAt: number[]): number | undefined {
  const from = Math.floor(answeredAt.length * 0.1);
  const to = Math.floor(answeredAt.length * 0.9);
  const ms = (answeredAt[to] ?? 0) - (answeredAt[from] ?? 0);
  return to - from >= 100 && ms > 0 ? ((to - from) * 1000) / ms : undefined;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const phases = opts.overallRate ? Math.max(1, opts.phases ?? 1) : 1;
const started = performance.now();
const cpuBefore = process.cpuUsage();
const results = await Promise.all(
  Array.from(
    { length: phases },
    (_, i) => new Promise<autocannon.Result>((resolve) => setTimeout(() => resolve(runPhase(i, phases)), (i * 1000) / phases)),
  ),
);
const lastAnswer = answeredAtMs.at(-1);
const durationSeconds = (lastAnswer === undefined ? performance.now() - started : lastAnswer - firstSend) / 1000;
const cpu = process.cpuUsage(cpuBefore);

if (opts.sendTimesFile) fs.writeFileSync(opts.sendTimesFile, JSON.stringify(Object.fromEntries(sentAt)));
responseMs.sort((a, b) => a - b);
const out: LoadgenResult = {
  requests: responseMs.length,
  rps: steadyRate(answeredAtMs) ?? responseMs.length / durationSeconds,
  wholeRunRps: responseMs.length / durationSeconds,
  sendRate: sends > 1 ? ((sends - 1) * 1000) / Math.max(1, lastSend - firstSend) : 0,
  durationSeconds,
  latencyMs: {
    p50: percentile(responseMs, 50),
    p90: percentile(responseMs, 90),
    p99: percentile(responseMs, 99),
    max: responseMs.at(-1) ?? 0,
  },
  statusCodes,
  errors: results.reduce((n, r) => n + r.errors, 0),
  timeouts: results.reduce((n, r) => n + r.timeouts, 0),
  cores: Math.round(((cpu.user + cpu.system) / 1e6 / durationSeconds) * 100) / 100,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
