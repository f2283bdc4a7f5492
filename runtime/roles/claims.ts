// The `claims` role: the decision-maker, one consumer group over `claims`. Scaling it out
// spreads sales (partitions) over processes; each sale's claims stay with one of them.
import { claimsSubscription, createClaimDecider } from '../../consumers/claims/decisionMaker.js';
import { startConsumerRunner } from '../../platform/kafka/consumerRunner.js';
import type { Platform } from '../platform.js';
import type { RunningRole } from '../role.js';

export async function startClaims(platform: Platform): Promise<RunningRole> {
  const { kafka, codec, log, redis, publisher, config, metrics } = platform;
  const decider = createClaimDecider({ redis, publisher, log, topicPrefix: config.topicPrefix, metrics });
  const runner = await startConsumerRunner({
    kafka,
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    codec,
    log,
    topicPrefix: config.topicPrefix,
    subscription: claimsSubscription,
    handle: (batch) => decider.handle(batch),
    metrics,
  });
  return {
    async stop() {
      await runner.stop();
      await decider.close();
    },
  };
}
