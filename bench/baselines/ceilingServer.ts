// Baseline (b): the framework's own ceiling — the claim route answering 202 with nothing
// behind it. Run as its own process: `tsx bench/baselines/ceilingServer.ts <port>`.
import crypto from 'node:crypto';
import { loadConfig } from '../../platform/config.js';
import { createBaselineApp, listen } from './common.js';

const { app, auth } = createBaselineApp(loadConfig());
app.post('/sales/:saleId/claims', auth, (req, res) => {
  const body = req.body as { transactionId?: string };
  res.status(202).json({ transactionId: body.transactionId ?? crypto.randomUUID(), status: 'pending' });
});
const port = await listen(app, Number(process.argv[2] ?? 0));
process.stdout.write(`${JSON.stringify({ port })}\n`);
