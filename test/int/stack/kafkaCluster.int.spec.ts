// A three-node cluster of our own (scratch folder, free ports, never the stack's 9092–9097)
// keeps every acknowledged write through a kill -9 of the partition's leader: acks=all with
// min.insync.replicas 2 means two copies had it before the producer heard yes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../../../platform/kafka/partitioning.js';
import { createEventPublisher } from '../../../platform/kafka/publisher.js';
import { ensureTopics } from '../../../platform/kafka/topics.js';
import type { FlashsaleEvent } from '../../../schemas/events/index.js';
import { topicName, topics } from '../../../schemas/topics.js';
import { kafkaCluster, type KafkaCluster } from '../../../stack/kafkaCluster.js';
import { freePortRange } from '../../support/faults/ports.js';
import { sampleEvents } from '../../support/sampleEvents.js';
import { waitFor } from '../../support/waitFor.js';

const N = 400;
const TOPIC = 'cluster-acks';

let root: string;
let cluster: KafkaCluster;
let kafka: Kafka;

// On an idle machine the whole file takes about a minute; on two cores shared with other
// JVMs (load 20+) a node's cold start took 84 s and a restart back into the ISR 45 s.
beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'flashsale-cluster-'));
  cluster = kafkaCluster({
    nodes: 3,
    firstPort: await freePortRange(6, [100, 200]),
    proxied: true,
    root,
    heap: '384m',
    stopTimeoutMs: 15_000,
    startTimeoutMs: 150_000,
  });
  await cluster.start();
  kafka = new Kafka({
    clientId: 'cluster-test',
    brokers: cluster.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 40, initialRetryTime: 200, maxRetryTime: 2000 },
  });
});

afterAll(async () => {
  await cluster?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/**
 * The simplest proxy a fault suite would run: each advertised port forwards to its listener.
 * After dropLate(), the route from `dropLateOn` accepts a connection and drops it a second
 * later without forwarding (how a proxy in front of a dead broker looks to a client).
 */
function forward(routes: { from: number; to: number }[], { dropLateOn }: { dropLateOn?: number } = {}) {
  let connections = 0;
  let dropping = false;
  const servers = routes.map((r) =>
    net
      .createServer((client) => {
        connections++;
        if (dropping && r.from === dropLateOn) {
          client.on('error', () => undefined);
          setTimeout(() => client.destroy(), 1_000);
          return;
        }
        const upstream = net.connect(r.to, '127.0.0.1');
        client.pipe(upstream).on('error', () => upstream.destroy());
        upstream.pipe(client).on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      })
      .listen(r.from, '127.0.0.1'),
  );
  return {
    connections: () => connections,
    dropLate: () => void (dropping = true),
    close: () => servers.forEach((s) => s.close()),
  };
}

describe('a three-node Kafka cluster', () => {
  it('hands a client of the proxied listener only the proxy addresses', async () => {
    const proxy = forward(cluster.proxyRoutes);
    const viaProxy = new Kafka({ clientId: 'cluster-proxied', brokers: cluster.proxiedBrokers, logLevel: logLevel.NOTHING });
    const admin = viaProxy.admin();
    try {
      await admin.connect();
      const { brokers } = await admin.describeCluster();
      expect(brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...cluster.proxiedBrokers].sort());
      expect(proxy.connections()).toBeGreaterThan(0);
    } finally {
      await admin.disconnect();
      proxy.close();
    }
  }, 60_000);

  it('creates the catalog topics with replication factor 3 and min.insync.replicas 2', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, 'clustertest');
      const name = topicName('clustertest', topics[0]!.name);
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: [name] });
      expect(meta[0]!.partitions.every((p) => p.replicas.length === 3)).toBe(true);
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2 /* TOPIC */, name, configNames: ['min.insync.replicas'] }],
      });
      expect(resources[0]!.configEntries[0]!.configValue).toBe('2');
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  it('keeps every acknowledged write exactly once through a kill -9 of the leader, which comes back into the ISR', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: false,
      topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
    });
    const leader = await waitFor(
      async () => {
        const l = await cluster.leaderOf(TOPIC, 0);
        return l >= 0 ? l : undefined;
      },
      { timeoutMs: 30_000, what: 'a leader for partition 0' },
    );

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    const acked: number[] = [];
    let killed: Promise<void> | undefined;
    const started = Date.now();
    for (let i = 0; i < N; i++) {
      if (i === N / 4) killed = cluster.kill(leader); // mid-stream, with sends in flight
      try {
        await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: String(i % 7), value: String(i) }] });
        acked.push(i);
      } catch {
        // Not acknowledged: it may or may not be in the log, but never twice.
      }
    }
    const produceMs = Date.now() - started;
    await killed;
    await producer.disconnect();
    expect(cluster.running(leader)).toBe(false);
    const newLeader = await cluster.leaderOf(TOPIC, 0);
    expect(newLeader).not.toBe(leader);
    expect(newLeader).toBeGreaterThan(0);

    const restartStarted = Date.now();
    await cluster.restart(leader);
    const restartMs = Date.now() - restartStarted;
    expect(cluster.running(leader)).toBe(true);
    const p0 = (await cluster.leaders()).find((p) => p.topic === TOPIC && p.partition === 0)!;
    expect(p0.isr).toContain(leader);

    const high = Number((await admin.fetchTopicOffsets(TOPIC))[0]!.high);
    await admin.disconnect();
    const seen = new Map<number, number>();
    const consumer = kafka.consumer({ groupId: `cluster-test-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    let next = 0;
    await consumer.run({
      eachMessage: async ({ message }) => {
        const v = Number(message.value!.toString());
        seen.set(v, (seen.get(v) ?? 0) + 1);
        next = Number(message.offset) + 1;
      },
    });
    await waitFor(() => next >= high, { timeoutMs: 30_000, what: `reading the topic up to offset ${high}` });
    await consumer.disconnect();

    console.log(`cluster test: ${acked.length}/${N} acked, produce ${produceMs} ms, restart to ISR ${restartMs} ms, log ${high} records`);
    expect(acked.length).toBeGreaterThan(N / 2);
    for (const i of acked) expect(seen.get(i), `acknowledged message ${i}`).toBe(1);
    for (const [v, count] of seen) expect(count, `message ${v}`).toBe(1);
  }, 240_000);

  // Last in the file: it leaves a node down. kafkajs' sendBatch over partitions led by two
  // brokers, when the request to one fails after the other broker answered and the failed
  // partition's leadership moved to that broker, resolved without ever sending that partition
  // (tulios/kafkajs#1303; the nemesis suite, seed 111 on 3 brokers behind its proxies, lost 17
  // acknowledged claims that way). Made certain here: the publisher learns the leaders through
  // proxies, the claims partition's leader is killed and its partition moves, its proxy then
  // accepts connections and drops them a moment later (a dead leader behind a proxy), and one
  // publish writes an entry to a partition of the new leader and a claim to the moved one.
  it('never acknowledges a publish whose partition moved to a broker that already answered', async () => {
    const prefix = 'leadermove';
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, prefix);
    const claims = topicName(prefix, 'claims');
    const entries = topicName(prefix, 'entries');
    const sale = 'sale-moved';
    const claimsPartition = partitionOf('claims', sale);
    const leaderOf = async (topic: string, partition: number) =>
      (await cluster.leaders()).find((p) => p.topic === topic && p.partition === partition)?.leader ?? -1;
    const before = await leaderOf(claims, claimsPartition);
    const proxy = forward(cluster.proxyRoutes, { dropLateOn: cluster.proxyRoutes[cluster.nodeIds.indexOf(before)]!.from });
    const client = new Kafka({ clientId: 'leader-move', brokers: cluster.proxiedBrokers, logLevel: logLevel.NOTHING });
    const codec = { encode: (e: FlashsaleEvent) => Promise.resolve(Buffer.from(JSON.stringify(e))) };
    const publisher = await createEventPublisher({ kafka: client, codec, topicPrefix: prefix, publishTimeoutMs: 60_000 });
    const claimOf = (saleId: string) => ({ ...sampleEvents(saleId).ClaimRequested, eventId: crypto.randomUUID() });
    const entryOf = (saleId: string) => ({ ...sampleEvents(saleId).EntryRecorded, eventId: crypto.randomUUID() });
    try {
      // Every entries partition, so the publisher's metadata knows each one's leader before the kill.
      await publisher.publish([claimOf(sale), ...Array.from({ length: 40 }, (_, i) => entryOf(`warm-${i}`))]);
      await cluster.kill(before);
      proxy.dropLate();
      const after = await waitFor(
        async () => {
          const l = await leaderOf(claims, claimsPartition);
          return l > 0 && l !== before ? l : undefined;
        },
        { timeoutMs: 60_000, what: `a new leader for ${claims}/${claimsPartition}` },
      );
      // An entry whose partition the new leader already leads: the request that answers first.
      const leaders = await cluster.leaders();
      const entrySale = Array.from({ length: 200 }, (_, i) => `entry-sale-${i}`).find(
        (s) => leaders.find((p) => p.topic === entries && p.partition === partitionOf('entries', s))?.leader === after,
      );
      expect(entrySale, `a sale whose entries partition node ${after} leads`).toBeDefined();
      const entriesPartition = partitionOf('entries', entrySale!);
      // The killed node's other partitions elect their leaders meanwhile: an offsets request fails until they have.
      const high = (topic: string, partition: number) =>
        waitFor(
          async () => {
            const offsets = await admin.fetchTopicOffsets(topic).catch(() => undefined);
            const found = offsets?.find((o) => o.partition === partition);
            return found ? Number(found.high) : undefined;
          },
          { timeoutMs: 60_000, what: `the end of ${topic}/${partition}` },
        );
      const claimsBefore = await high(claims, claimsPartition);
      const entriesBefore = await high(entries, entriesPartition);

      await publisher.publish([entryOf(entrySale!), claimOf(sale)]);

      expect(await high(entries, entriesPartition)).toBeGreaterThan(entriesBefore);
      expect(await high(claims, claimsPartition), 'the claim acknowledged is on its partition').toBe(claimsBefore + 1);
    } finally {
      await publisher.disconnect();
      await admin.disconnect();
      proxy.close();
    }
  }, 180_000);
});
