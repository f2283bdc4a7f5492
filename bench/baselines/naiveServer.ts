// Baseline (a): what a user would otherwise pick — the claim route decrementing stock in
// PostgreSQL (`UPDATE ... WHERE qty > 0`) and inserting an order, behind the same
// framework. Run as its own process: `tsx bench/baselines/naiveServer.ts <port> <schema>`.
import { loadConfig } from '../../platform/config.js';
import { createDb } from '../../platform/postgres.js';
import { principalOf } from '../../producers/http/authMiddleware.js';
import { createBaselineApp, listen } from './common.js';

const config = loadConfig();
const schema = process.argv[3] ?? 'bench_naive';
const db = createDb(config.databaseUrl, schema, 20);
const { app, auth } = createBaselineApp(config);

app.post('/sales/:saleId/claims', auth, async (req, res) => {
  const body = req.body as { transactionId?: string; quantity?: number };
  const quantity = body.quantity ?? 1;
  const client = await db.connect();
  try {
    await client.query('begin');
    const updated = await client.query('update stock set qty = qty - $2 where id = $1 and qty >= $2', [req.params.saleId, quantity]);
    if (updated.rowCount === 0) {
      await client.query('rollback');
      res.status(409).json({ status: 'rejected', reason: 'sold_out' });
      return;
    }
    await client.query('insert into orders (transaction_id, sale_id, user_id, quantity) values ($1, $2, $3, $4)', [
      body.transactionId,
      req.params.saleId,
      principalOf(res).userId,
      quantity,
    ]);
    await client.query('commit');
    res.status(201).json({ status: 'granted' });
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    res.status(500).json({ error: err instanceof Error ? err.message : 'error' });
  } finally {
    client.release();
  }
});

const port = await listen(app, Number(process.argv[2] ?? 0));
process.stdout.write(`${JSON.stringify({ port })}\n`);
