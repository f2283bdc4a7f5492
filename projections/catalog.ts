// Every Postgres projection an analyst's replay rebuilds, with the same code the live
// consumers run.
import { reconciliationReplayable } from './reconciliation/replayable.js';
import type { ReplayableProjection } from './replayable.js';
import { transactionsReplayable } from './transactions/replayable.js';

export function replayableProjections({ reconciliationGraceMs }: { reconciliationGraceMs: number }): readonly ReplayableProjection[] {
  return [transactionsReplayable, reconciliationReplayable(reconciliationGraceMs)];
}
