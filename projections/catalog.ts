// Every Postgres projection an analyst's replay rebuilds, with the same code the live
// consumers run.
import type { ReplayableProjection } from './replayable.js';
import { transactionsReplayable } from './transactions/replayable.js';

export const replayableProjections: readonly ReplayableProjection[] = [transactionsReplayable];
