// What a Postgres projection offers an analyst's replay: the same code the live consumer
// runs (migrate + applyBatch), the topics it folds, and how to compare two copies of it.
import type { Delivered } from '../platform/kafka/consumerRunner.js';
import type { Db } from '../platform/postgres.js';
import type { TopicName } from '../schemas/topics.js';

export type ComparedTable = {
  name: string;
  /** A timestamptz column of when the row's fact happened: a time-bounded replay compares only rows inside its window. Tables without one are compared only by whole replays. */
  timeColumn?: string;
};

export type ReplayableProjection = {
  name: string;
  topics: readonly TopicName[];
  /** The live consumer group, so a replay can wait until the live copy has caught up to the same offsets. */
  liveGroupId(topicPrefix: string): string;
  migrate(db: Db): Promise<void>;
  applyBatch(db: Db, batch: Delivered[]): Promise<void>;
  /** Its fold gives the same rows whatever order batches are applied in, so a replay may apply several at once. */
  orderFree?: boolean;
  /** After the last batch: whatever the live consumer does between batches (e.g. move a clock). */
  finish?(db: Db, window: { from?: number | undefined; to?: number | undefined }): Promise<void>;
  tables: readonly ComparedTable[];
};
