// The simulated partner's refund endpoint, as a real payment partner serves one: a signed
// POST (Flashsale-Signature with the partner's secret) asks for the refund of a payment, and
// the partner refunds once per request id (`Idempotency-Key`) however often it is asked, then
// reports the refund through its signed webhook. `failFirst` makes it answer 503 to the first
// calls, as a partner having a bad minute would.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../platform/webhookSignature.js';

export type RefundCall = {
  requestId: string;
  transactionId: string;
  paymentEventId: string;
  quantity: number;
  amountMinor: number;
  currency: string;
};

export type RefundDesk = {
  /** The REFUND_URL to configure: `{partnerId}` left in the template. */
  urlTemplate: string;
  /** Every call received (signed or not). */
  calls(): number;
  /** The refunds made, one per request id. */
  refunds(): RefundCall[];
  close(): Promise<void>;
};

export async function startRefundDesk({
  secrets,
  refund,
  failFirst = 0,
}: {
  /** partnerId -> its secret. */
  secrets: ReadonlyMap<string, string>;
  /** Makes the refund: reports it through the partner's webhook. */
  refund: (partnerId: string, call: RefundCall) => Promise<void>;
  failFirst?: number;
}): Promise<RefundDesk> {
  let calls = 0;
  const made = new Map<string, RefundCall>();
  const inFlight = new Map<string, Promise<void>>();

  async function answer(req: http.IncomingMessage, body: Buffer): Promise<number> {
    const partnerId = decodeURIComponent(/^\/([^/]+)\/refunds$/.exec(req.url ?? '')?.[1] ?? '');
    const secret = secrets.get(partnerId);
    const header = req.headers['flashsale-signature'];
    const verdict = verifyWebhookSignature({
      header: typeof header === 'string' ? header : undefined,
      payload: body,
      secrets: secret ? [secret] : [],
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    if (!verdict.ok) return 401;
    if (++calls <= failFirst) return 503;
    const call = JSON.parse(body.toString('utf8')) as RefundCall;
    if (req.headers['idempotency-key'] !== call.requestId) return 400;
    if (made.has(call.requestId)) return 200;
    // One refund per request id, even for calls arriving together.
    let doing = inFlight.get(call.requestId);
    if (!doing) {
      doing = refund(partnerId, call).then(() => void made.set(call.requestId, call));
      inFlight.set(call.requestId, doing);
      doing.finally(() => inFlight.delete(call.requestId)).catch(() => undefined);
    }
    await doing;
    return 200;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      answer(req, Buffer.concat(chunks)).then(
        (status) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status })),
        () => res.writeHead(503).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    urlTemplate: `http://127.0.0.1:${port}/{partnerId}/refunds`,
    calls: () => calls,
    refunds: () => [...made.values()],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
