// The replication of new topics: configured, else what the cluster allows, never a setting
// under which no write could succeed.
import { describe, expect, it } from 'vitest';
import { durabilityFor } from '../../../platform/kafka/topics.js';

describe('topic durability', () => {
  it('asks for three copies and two in sync on a cluster of three or more', () => {
    expect(durabilityFor(3)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(durabilityFor(6)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
  });

  it('takes what a smaller cluster has, one copy in sync', () => {
    expect(durabilityFor(1)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
    expect(durabilityFor(2)).toEqual({ replicationFactor: 2, minInsyncReplicas: 1 });
  });

  it('uses the configured values', () => {
    expect(durabilityFor(5, { replicationFactor: 5, minInsyncReplicas: 3 })).toEqual({ replicationFactor: 5, minInsyncReplicas: 3 });
    expect(durabilityFor(3, { minInsyncReplicas: 3 })).toEqual({ replicationFactor: 3, minInsyncReplicas: 3 });
  });

  it('refuses more copies than brokers, or more in sync than copies', () => {
    expect(() => durabilityFor(1, { replicationFactor: 3 })).toThrow(/KAFKA_REPLICATION_FACTOR/);
    expect(() => durabilityFor(3, { replicationFactor: 2, minInsyncReplicas: 3 })).toThrow(/KAFKA_MIN_INSYNC_REPLICAS/);
  });
});
