// The transactions projector alone in its own process, for crash tests. It prints one JSON
// line per batch it applied. With CRASH_AFTER_BATCH_WITH=<event type> it SIGKILLs itself
// right after the database transaction of the first batch holding such an event committed,
// before the consumer could commit the batch's offsets: the worst moment to die.
import { loadConfig } from '../../platform/config.js';
import { createKafka } from '../../platform/kafka/client.js';
import { createLogger } from '../../platform/log.js';
import { createDb } from '../../platform/postgres.js';
import { createEventCodec, createSchemaRegistry } from '../../platform/registry/codec.js';
import { createTransactionsProjection } from '../../projections/transactions/projection.js';
import { startTransactionsProjector } from '../../runtime/roles/projections.js';

const config = loadConfig();
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');
const db = createDb(config.databaseUrl, process.env.TEST_DB_SCHEMA ?? 'public');
const projection = createTransactionsProjection({ db });
await projection.migrate();
const crashOn = process.env.CRASH_AFTER_BATCH_WITH;
const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const runner = await startTransactionsProjector({
  kafka: createKafka(config, 'test-transactions-projector', log),
  codec: createEventCodec({ registry: createSchemaRegistry(config), topicPrefix: config.topicPrefix }),
  log,
  topicPrefix: config.topicPrefix,
  sessionTimeoutMs: config.kafkaSessionTimeoutMs,
  projection: {
    async applyBatch(batch) {
      const outcome = await projection.applyBatch(batch);
      const first = batch[0]?.position;
      print({
        topic: first?.topic,
        partition: first?.partition,
        firstOffset: first?.offset,
        lastOffset: batch.at(-1)?.position.offset,
        ...outcome,
      });
      if (crashOn && batch.some((d) => d.event.type === crashOn)) {
        print({ crashing: true });
        process.kill(process.pid, 'SIGKILL');
      }
      return outcome;
    },
  },
});
print({ ready: true });
process.once('SIGTERM', () => {
  void runner
    .stop()
    .then(() => db.end())
    .finally(() => process.exit(0));
});
