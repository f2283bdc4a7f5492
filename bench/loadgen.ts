// The load generator, in its own process so it never shares an event loop with the server
// under test: autocannon against one route, each request taking the next prepared claim
// (user token + transaction) from a file. Prints autocannon's figures as JSON on stdout and,
// if asked, writes when each transaction's request was sent (for claim-to-decision latency).
//   tsx bench/loadgen.ts '<json options>'
import fs from 'node:fs';
import autocannon from 'autocannon';

type Options = {
  url: string;
  path: string;
  claimsFile: string;
  connections: number;
  durationSeconds?: number;
  amount?: number;
  overallRate?: number;
  sendTimesFile?: string;
  preferWait?: boolean;
};

type PreparedClaim = { token: string; transactionId: string };

const opts = JSON.parse(process.argv[2] ?? '{}') as Options;
const claims = JSON.parse(fs.readFileSync(opts.claimsFile, 'utf8')) as PreparedClaim[];
const sentAt = new Map<string, number>();
let next = 0;

const result = await autocannon({
  url: opts.url,
  connections: opts.connections,
  ...(opts.durationSeconds ? { duration: opts.durationSeconds } : {}),
  ...(opts.amount ? { amount: opts.amount } : {}),
  ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
  requests: [
    {
      method: 'POST',
      path: opts.path,
      setupRequest: (req) => {
        const claim = claims[next++ % claims.length]!;
        if (opts.sendTimesFile && !sentAt.has(claim.transactionId)) sentAt.set(claim.transactionId, Date.now());
        return {
          ...req,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${claim.token}` },
          body: JSON.stringify({ transactionId: claim.transactionId, quantity: 1 }),
        };
      },
    },
  ],
});

{
  if (opts.sendTimesFile) fs.writeFileSync(opts.sendTimesFile, JSON.stringify(Object.fromEntries(sentAt)));
  process.stdout.write(
    `${JSON.stringify({
      requests: result.requests.total,
      rps: result.requests.average,
      latencyP50: result.latency.p50,
      latencyP99: result.latency.p99,
      latencyMax: result.latency.max,
      statusCodes: { '2xx': result['2xx'], non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts },
      durationSeconds: result.duration,
    })}\n`,
  );
}
