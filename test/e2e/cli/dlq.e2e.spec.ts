// The dead-letter topic is for permanent faults, and an operator can see and re-drive what
// is in it: `flashsale dlq list | redrive`. Bytes that are not an event are planted on the
// `sales` topic, which several consumers read; each consumer dead-letters its own copy at
// once (no retries: decoding again gives the same answer) and goes on with the next record.
// A redrive sends each letter back for the consumer that gave it up, and only that one: the
// others skip it, so the topic ends with exactly one new letter per consumer, not one per pair.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicName } from '../../../schemas/topics.js';
import { createSaleStore, type SaleStore } from '../../../writeModel/saleStore.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { deadLetterCount } from '../../support/faults/checkers.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

type Letter = { id: string; at: string; reason: string; origin: { topic: string; partition: number; offset: string }; consumer: string };

let system: TestSystem;
let store: SaleStore;

const dlq = (args: string[]) =>
  spawnSync('node', ['bin/flashsale.js', 'dlq', ...args], { encoding: 'utf8', env: { ...process.env, TOPIC_PREFIX: system.prefix } });

function listed(args: string[] = []): Letter[] {
  const result = dlq(['list', '--json', ...args]);
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Letter[];
}

beforeAll(async () => {
  system = await startTestSystem('dlq', ['projections', 'reconciliation']);
  store = createSaleStore({ redis: system.platform.redis, topicPrefix: system.prefix });
});
afterAll(async () => {
  await store?.close();
  await system?.stop();
});

describe('flashsale dlq', () => {
  it('lists the records each consumer gave up on, and re-drives each only to its own consumer', async () => {
    const { kafka, publisher } = system.platform;
    const sale = saleScheduled({ saleId: `dlq-${Date.now().toString(36)}` });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // Same key as the sale, so the same partition: the consumers must get past the bad record to see the sale.
    await producer.send({ topic: topicName(system.prefix, 'sales'), acks: -1, messages: [{ key: sale.saleId, value: 'not an event' }] });
    await producer.disconnect();
    await publisher.publish([sale]);
    await waitFor(() => store.readSale(sale.saleId, Date.now()), { timeoutMs: 60_000, what: 'the sale after the bad record' });

    // One letter per consumer of `sales` in the roles running, each found without retries.
    const first = await waitFor(
      async () => {
        const letters = listed();
        return letters.length >= 3 ? letters : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'a dead letter from each consumer of sales' },
    );
    const consumers = first.map((l) => l.consumer).sort();
    expect(new Set(consumers).size).toBe(first.length);
    for (const letter of first) {
      expect(letter.origin.topic).toBe(topicName(system.prefix, 'sales'));
      expect(letter.reason).toMatch(/^undecodable: not in the Confluent wire format/);
    }
    expect(listed(['--topic', 'partner-events'])).toEqual([]);
    expect(listed(['--topic', 'sales'])).toHaveLength(first.length);

    const unknownTopic = dlq(['list', '--topic', 'nope']);
    expect(unknownTopic.status).not.toBe(0);
    expect(unknownTopic.stderr).toMatch(/unknown topic "nope"/);

    const table = dlq(['list']);
    expect(table.stdout).toContain(`${first.length} dead letter(s) waiting`);

    // Re-driven: the letters are marked done, and each consumer meets its copy again (still bad).
    const before = await deadLetterCount(kafka, system.prefix);
    const redrive = dlq(['redrive', '--topic', 'sales']);
    expect(redrive.status, redrive.stderr).toBe(0);
    expect(redrive.stdout.trim()).toBe(`redrove ${first.length} dead letter(s)`);
    const again = await waitFor(
      async () => {
        const letters = listed();
        return letters.length >= first.length ? letters : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000, what: 'the redriven records back in the dead-letter topic' },
    );
    // Give a consumer that wrongly took another's copy time to show it.
    await new Promise((r) => setTimeout(r, 3_000));
    const settled = listed();
    expect(settled.map((l) => l.consumer).sort()).toEqual(consumers);
    expect(settled.every((l) => !first.some((f) => f.id === l.id))).toBe(true);
    expect(again.length).toBe(first.length);
    // The log only grows: per consumer, one marker and one new letter.
    expect(await deadLetterCount(kafka, system.prefix)).toBe(before + 2 * first.length);
  });
});
