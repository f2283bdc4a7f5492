// Baseline (c): what a user who wants no log would pick — the claim decided in the request by
// one Redis Lua call (redisOnlyStore.ts) and answered at once, 201 or 409, with nothing on
// Kafka: no audit trail, no replay. Run as its own process:
// `tsx bench/baselines/redisOnlyServer.ts <port>`; keys under TOPIC_PREFIX's Redis prefix.
import { loadConfig } from '../../platform/config.js';
import { createRedis } from '../../platform/redis.js';
import { principalOf } from '../../producers/http/authMiddleware.js';
import { createBaselineApp, listen } from './common.js';
import { createRedisOnlyStore } from './redisOnlyStore.js';

const config = loadConfig();
const store = createRedisOnlyStore({ redis: createRedis(config.redisUrl), topicPrefix: config.topicPrefix });
const { app, auth } = createBaselineApp(config);

app.post('/sales/:saleId/claims', auth, async (req, res) => {
  // express types a parameter as possibly a list (a repeated wildcard); ':saleId' is one segment.
  const saleId = String(req.params.saleId);
  const body = req.body as { quantity?: unknown };
  if (body.quantity !== undefined && body.quantity !== 1) {
    res.status(400).json({ error: 'one unit per user: quantity must be 1' });
    return;
  }
  try {
    const decision = await store.claim(saleId, principalOf(res).userId);
    if (decision === 'granted') res.status(201).json({ status: 'granted' });
    else res.status(409).json({ status: 'rejected', reason: decision });
  } catch {
    res.status(503).json({ error: 'store unavailable' });
  }
});

const port = await listen(app, Number(process.argv[2] ?? 0));
process.stdout.write(`${JSON.stringify({ port })}\n`);
