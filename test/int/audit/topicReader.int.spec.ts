// Reading history back: a transaction's trail across topics, in order, and a time-bounded
// read that covers exactly its window.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transactionTrail, type Located } from '../../../domain/audit/transactionTrail.js';
import { readTopicRange } from '../../../platform/kafka/topicReader.js';
import type { FlashsaleEvent } from '../../../schemas/events/index.js';
import { openTestStack, type TestStack } from '../../support/realStack.js';
import { sampleEvents } from '../../support/sampleEvents.js';

let stack: TestStack;
const t0 = Date.UTC(2026, 10, 25, 10, 0, 0);
const at = (minutes: number) => t0 + minutes * 60_000;

function timeline(): FlashsaleEvent[] {
  const s = sampleEvents('sale-audit');
  const other = { ...s.EntryRecorded, eventId: 'other-entry', transactionId: 'tx-other', correlationId: 'tx-other', occurredAt: at(2) };
  return [
    { ...s.SaleScheduled, occurredAt: at(0) },
    { ...s.EntryRecorded, occurredAt: at(1) },
    other,
    { ...s.ClaimRequested, occurredAt: at(3) },
    { ...s.ClaimGranted, occurredAt: at(4) },
    { ...s.PaymentRedirectIssued, occurredAt: at(5) },
    { ...s.PartnerPaymentReported, occurredAt: at(6) },
    { ...s.MismatchFlagged, occurredAt: at(7) },
  ];
}

beforeAll(async () => {
  stack = await openTestStack('audit');
  // Published out of order and in separate sends: the trail must still come out in event order.
  const events = timeline();
  await stack.publisher.publish(events.slice(4));
  await stack.publisher.publish(events.slice(0, 4));
});
afterAll(async () => {
  await stack.close();
});

async function readAll(from?: number, to?: number): Promise<Located[]> {
  const located: Located[] = [];
  await readTopicRange({
    kafka: stack.kafka,
    codec: stack.codec,
    topicPrefix: stack.prefix,
    topics: ['sales', 'entries', 'claims', 'redirects', 'partner-events', 'reconciliation'],
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    onBatch: (batch) => void located.push(...batch.map((d) => ({ event: d.event, ...d.position }))),
  });
  return located;
}

describe('reading history back', () => {
  it('lists every event of one transaction across all topics, in the order it happened', async () => {
    const trail = transactionTrail(await readAll(), 'tx-1');
    expect(trail.map((e) => e.type)).toEqual([
      'EntryRecorded',
      'ClaimRequested',
      'ClaimGranted',
      'PaymentRedirectIssued',
      'PartnerPaymentReported',
      'MismatchFlagged',
    ]);
    expect(trail[2]?.topic).toBe(`${stack.prefix}.flashsale.sales`);
  });

  it('covers exactly the window of a time-bounded read', async () => {
    const window = await readAll(at(2), at(5));
    expect(window.map((l) => l.event.occurredAt).sort()).toEqual([at(2), at(3), at(4)]);
    expect(await readAll(at(8))).toEqual([]);
  });

  it('prints the trail from the command line, as JSON', () => {
    const result = spawnSync('node', ['bin/flashsale.js', 'audit', 'transaction', 'tx-1', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, TOPIC_PREFIX: stack.prefix },
    });
    expect(result.status, result.stderr).toBe(0);
    const trail = JSON.parse(result.stdout) as { type: string; offset: string }[];
    expect(trail.map((e) => e.type)).toEqual([
      'EntryRecorded',
      'ClaimRequested',
      'ClaimGranted',
      'PaymentRedirectIssued',
      'PartnerPaymentReported',
      'MismatchFlagged',
    ]);
  });

  it('fails with a one-line reason for a transaction nobody mentions', () => {
    const result = spawnSync('node', ['bin/flashsale.js', 'audit', 'transaction', 'tx-nobody'], {
      encoding: 'utf8',
      env: { ...process.env, TOPIC_PREFIX: stack.prefix },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe('flashsale: no event names transaction tx-nobody');
  });
});
