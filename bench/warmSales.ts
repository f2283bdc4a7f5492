// Sales folded into a deployment's Redis store before a decision-stage measurement: the
// inventory projector makes the new deployment's store ready and folds each SaleScheduled;
// it is stopped before the timing, so the decision-makers run alone.
import { startInventoryProjector } from '../runtime/roles/projections.js';
import type { Platform } from '../runtime/platform.js';
import type { EventOf } from '../schemas/events/index.js';
import { createSaleStore } from '../writeModel/saleStore.js';

export async function warmSales(platform: Platform, sales: readonly EventOf<'SaleScheduled'>[]): Promise<void> {
  const projector = await startInventoryProjector(platform);
  const store = createSaleStore({ redis: platform.redis, topicPrefix: platform.config.topicPrefix });
  try {
    if (!(await store.waitUntilReady(60_000))) throw new Error('the decision scenario store never became ready');
    await platform.publisher.publish(sales);
    const deadline = Date.now() + 60_000;
    for (const { saleId } of sales)
      while (!(await store.readSale(saleId, Date.now()))) {
        if (Date.now() > deadline) throw new Error(`sale ${saleId} was not warmed within 60 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
  } finally {
    await projector.stop();
    await store.close();
  }
}
