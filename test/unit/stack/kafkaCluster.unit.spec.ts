// The server.properties each node of the stack's Kafka runs with: one node keeps the
// replication of one; three nodes keep three copies of everything, two of which must have a
// write, and never elect a replica that missed acknowledged writes.
import { describe, expect, it } from 'vitest';
import { clusterNodes, kafkaCluster, serverProperties } from '../../../stack/kafkaCluster.js';
import { modeConflict } from '../../../stack/stack.js';

function props(nodes: number, node = 1, proxied = false): Map<string, string> {
  const all = clusterNodes({ nodes, firstPort: 30000, root: '/scratch', proxied });
  const text = serverProperties(all[node - 1]!, all);
  return new Map(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
}

describe('the properties of a Kafka node', () => {
  it('one node: replication factor 1 everywhere, its own quorum', () => {
    const p = props(1);
    expect(p.get('node.id')).toBe('1');
    expect(p.get('controller.quorum.voters')).toBe('1@127.0.0.1:30001');
    expect(p.get('listeners')).toBe('PLAINTEXT://127.0.0.1:30000,CONTROLLER://127.0.0.1:30001');
    for (const key of ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'default.replication.factor'])
      expect(p.get(key), key).toBe('1');
    expect(p.get('transaction.state.log.min.isr')).toBe('1');
    expect(p.get('min.insync.replicas')).toBe('1');
    expect(p.get('log.dirs')).toBe('/scratch/node-1/data');
  });

  it('three nodes: replication 3, min.insync.replicas 2, no unclean election, all three vote', () => {
    const p = props(3, 2);
    expect(p.get('node.id')).toBe('2');
    expect(p.get('controller.quorum.voters')).toBe('1@127.0.0.1:30001,2@127.0.0.1:30003,3@127.0.0.1:30005');
    expect(p.get('listeners')).toBe('PLAINTEXT://127.0.0.1:30002,CONTROLLER://127.0.0.1:30003');
    expect(p.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:30002');
    expect(p.get('offsets.topic.replication.factor')).toBe('3');
    expect(p.get('transaction.state.log.replication.factor')).toBe('3');
    expect(p.get('transaction.state.log.min.isr')).toBe('2');
    expect(p.get('default.replication.factor')).toBe('3');
    expect(p.get('min.insync.replicas')).toBe('2');
    expect(p.get('unclean.leader.election.enable')).toBe('false');
    expect(p.get('log.dirs')).toBe('/scratch/node-2/data');
  });

  it('a proxied node adds a client listener advertised at the proxy; brokers still talk on PLAINTEXT', () => {
    const p = props(3, 3, true);
    expect(p.get('listeners')).toBe('PLAINTEXT://127.0.0.1:30004,CONTROLLER://127.0.0.1:30005,PROXIED://127.0.0.1:30104');
    expect(p.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:30004,PROXIED://127.0.0.1:30204');
    expect(p.get('listener.security.protocol.map')).toBe('PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PROXIED:PLAINTEXT');
    expect(p.get('inter.broker.listener.name')).toBe('PLAINTEXT');
    expect(p.get('controller.listener.names')).toBe('CONTROLLER');
  });

  it("keeps Kafka's broker session unless asked, and a heartbeat a quarter of a shorter one", () => {
    expect(props(3).has('broker.session.timeout.ms')).toBe(false);
    const all = clusterNodes({ nodes: 3, firstPort: 30000, root: '/scratch', brokerSessionTimeoutMs: 4000 });
    const text = serverProperties(all[0]!, all);
    expect(text).toContain('broker.session.timeout.ms=4000\n');
    expect(text).toContain('broker.heartbeat.interval.ms=1000\n');
  });

  it('tells a proxy which advertised port forwards to which listener', () => {
    const cluster = kafkaCluster({ nodes: 3, firstPort: 30000, root: '/scratch', proxied: true });
    expect(cluster.brokers).toEqual(['127.0.0.1:30000', '127.0.0.1:30002', '127.0.0.1:30004']);
    expect(cluster.proxiedBrokers).toEqual(['127.0.0.1:30200', '127.0.0.1:30202', '127.0.0.1:30204']);
    expect(cluster.proxyRoutes).toEqual([
      { from: 30200, to: 30100 },
      { from: 30202, to: 30102 },
      { from: 30204, to: 30104 },
    ]);
    expect(kafkaCluster({ nodes: 3, firstPort: 30000, root: '/scratch' }).proxyRoutes).toEqual([]);
  });
});

describe('switching the stack between one broker and three', () => {
  it('refuses while the other mode runs, with the way out', () => {
    expect(modeConflict(3, 1)).toBe('stack is up with 1 broker; run `flashsale stack down` first');
    expect(modeConflict(1, 3)).toBe('stack is up with 3 brokers; run `flashsale stack down` first');
  });

  it('goes on when nothing runs or the same mode runs', () => {
    expect(modeConflict(3, undefined)).toBeUndefined();
    expect(modeConflict(3, 3)).toBeUndefined();
    expect(modeConflict(1, 1)).toBeUndefined();
  });
});
