// The README's first command: `flashsale demo` runs a whole flash sale to its summary and
// exits 0 only when every check holds (here with a smaller crowd, to keep CI short, on three
// shards: never oversold, every unit accounted for, the claims on three partitions): the
// planted faults resolved with nothing left open, the books balanced, the refunded unit sold
// again, and the partner's settlement file reconciled.
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPrefixLeftovers } from '../../support/testLeftovers.js';

// The demo keeps its topics and schema for an analyst's replay; the test drops them (the
// prefix is named by the demo, not by the test run, so the run's teardown would not).
let ran: { prefix: string; schema: string } | undefined;
afterAll(async () => {
  if (ran) await dropPrefixLeftovers(ran.prefix, ran.schema);
});

describe('flashsale demo', () => {
  it('runs a flash sale end to end and ends with a passing summary', async () => {
    const child = spawn(process.execPath, ['bin/flashsale.js', 'demo', '--shoppers', '60', '--stock', '15', '--shards', '3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const named = /on topics (\S+)\.\* and Postgres schema (\w+)/.exec(stdout);
    if (named) ran = { prefix: named[1]!, schema: named[2]! };
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/Reconciliation report/);
    expect(stdout).toMatch(/Replay: \d+ events into \S+: equal/);
    expect(stdout).toMatch(/Demo passed: every check holds\./);
    expect(stdout).toMatch(/✔ the sale ran on 3 shard\(s\), its claims spread over 3 claims partition\(s\)/);
    expect(stdout).not.toMatch(/✘/);
    for (const kind of ['late_payment', 'duplicate_payment', 'amount_mismatch', 'unknown_transaction'])
      expect(stdout).toMatch(new RegExp(`✔ the operator resolved the ${kind} with refund, and it is resolved`));
    expect(stdout).toMatch(/mismatches: 0 open, 0 resolving, [1-9]\d* resolved/);
    expect(stdout).toMatch(/✔ no mismatch is left open \(0 open, 0 resolving/);
    const money = /money: {3}paid (\d+) = kept (\d+) \+ refunded (\d+) \+ written off (\d+) \(open 0\): balanced/.exec(stdout);
    expect(money, 'the money line, balanced').not.toBeNull();
    const [paid, kept, refunded, writtenOff] = money!.slice(1).map(Number) as [number, number, number, number];
    expect(paid).toBe(kept + refunded + writtenOff);
    expect(refunded).toBeGreaterThan(0);
    expect(stdout).toMatch(
      /✔ the refunded underpaid unit went back on sale \(\d+ free after the refund\) and a waiting shopper bought it at its price \(slot /,
    );
    expect(stdout).toMatch(/settlement settlement:demo-pay:\w+ \(http [^)]*\): [1-9]\d* of \d+ rows for this sale, 0 findings/);
    expect(stdout).toMatch(/✔ the partner's settlement file was delivered \(202\) and reconciled/);
  });
});
