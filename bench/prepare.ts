// Prepares claims: users who have entered a sale, each with a token and TransactionIDs in
// state `entered`, written to a file the load generator reads. Entries are made the way the
// entries route makes them, minus HTTP: EntryRecorded published (in batches) and the store's
// recordEntry, so a claim can follow at once. The HTTP edge itself is what the bench measures.
import fs from 'node:fs';
import crypto from 'node:crypto';
import type { EventPublisher } from '../platform/kafka/publisher.js';
import { type IdentitySettings, signUserToken } from '../producers/http/auth.js';
import { envelope } from '../producers/http/envelope.js';
import type { SaleStore } from '../writeModel/saleStore.js';
import type { FlashsaleEvent } from '../schemas/events/index.js';

export type PreparedClaim = { token: string; transactionId: string; userId: string };

const BATCH = 2_000;

export async function prepareClaims({
  publisher,
  store,
  identity,
  saleId,
  users,
  transactionsPerUser,
  file,
}: {
  publisher: EventPublisher;
  store: Pick<SaleStore, 'recordEntry'>;
  identity: IdentitySettings;
  saleId: string;
  users: number;
  transactionsPerUser: number;
  file: string;
}): Promise<PreparedClaim[]> {
  const claims: PreparedClaim[] = new Array<PreparedClaim>(users * transactionsPerUser);
  for (let u = 0; u < users; u++) {
    const userId = `${saleId}-u${u}`;
    const token = await signUserToken(identity, userId);
    // A user's k-th transaction sits k*users further on: their claims arrive apart, as a crowd's would.
    for (let k = 0; k < transactionsPerUser; k++) claims[k * users + u] = { token, userId, transactionId: crypto.randomUUID() };
  }
  for (let i = 0; i < claims.length; i += BATCH) {
    const batch = claims.slice(i, i + BATCH);
    const now = Date.now();
    const entries: FlashsaleEvent[] = batch.map((c) => ({
      type: 'EntryRecorded',
      ...envelope(c.transactionId, now),
      transactionId: c.transactionId,
      saleId,
      userId: c.userId,
    }));
    await publisher.publish(entries);
    await Promise.all(batch.map((c) => store.recordEntry({ transactionId: c.transactionId, saleId, userId: c.userId })));
  }
  fs.writeFileSync(file, JSON.stringify(claims.map(({ token, transactionId }) => ({ token, transactionId }))));
  return claims;
}
