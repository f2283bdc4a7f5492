// A small client for the public contract (docs/contract.md), as a storefront,
// an operator or a partner would call it. The demo and the benchmark use it.
import crypto from 'node:crypto';

export type Answer<T = Record<string, unknown>> = { status: number; body: T; headers: Headers };

/** What a call sends besides its method and path: the caller's token, a body (a string is sent as it is), extra headers. */
export type CallOptions = { token?: string; body?: unknown; headers?: Record<string, string> };

/** One call as a client saw it, for a history: what went out, when, and what came back (or the error). */
export type ObservedCall = {
  method: string;
  path: string;
  body: unknown;
  sentAt: number;
  answeredAt: number;
  status?: number;
  answer?: unknown;
  error?: string;
};

async function send<T>(baseUrl: string, method: string, path: string, { token, body, headers = {} }: CallOptions): Promise<Answer<T>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    redirect: 'manual',
    // Bounded: a frozen server must not hold a caller forever.
    signal: AbortSignal.timeout(30_000),
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** `observe`: told of every call once it has its answer or its error (the nemesis suite records them). */
export function createApiClient(baseUrl: string, observe?: (call: ObservedCall) => void) {
  async function call<T = Record<string, unknown>>(method: string, path: string, options: CallOptions = {}): Promise<Answer<T>> {
    if (!observe) return send<T>(baseUrl, method, path, options);
    const sentAt = Date.now();
    try {
      const answer = await send<T>(baseUrl, method, path, options);
      observe({ method, path, body: options.body, sentAt, answeredAt: Date.now(), status: answer.status, answer: answer.body });
      return answer;
    } catch (err) {
      observe({ method, path, body: options.body, sentAt, answeredAt: Date.now(), error: (err as Error).message });
      throw err;
    }
  }
  return {
    call,
    putProduct: (op: string, productId: string, product: { name: string; partnerId: string; priceMinor: number; currency: string }) =>
      call('PUT', `/products/${productId}`, { token: op, body: product }),
    scheduleSale: (op: string, sale: Record<string, unknown>) => call('POST', '/sales', { token: op, body: sale }),
    closeSale: (op: string, saleId: string) => call('POST', `/sales/${saleId}/close`, { token: op, body: {} }),
    sale: (token: string, saleId: string) => call('GET', `/sales/${saleId}`, { token }),
    enter: (token: string, saleId: string) => call<{ transactionId: string }>('POST', `/sales/${saleId}/entries`, { token, body: {} }),
    challenge: (token: string, saleId: string) => call('GET', `/sales/${saleId}/challenge`, { token }),
    claim: (
      token: string,
      saleId: string,
      body: { transactionId: string; quantity: number; challengeSolution?: unknown },
      waitSeconds?: number,
    ) => call('POST', `/sales/${saleId}/claims`, { token, body, headers: waitSeconds ? { prefer: `wait=${waitSeconds}` } : {} }),
    transaction: (token: string, transactionId: string) => call('GET', `/transactions/${transactionId}`, { token }),
    redirect: (token: string, transactionId: string) => call('POST', `/transactions/${transactionId}/redirect`, { token, body: {} }),
    reconciliation: (op: string, saleId: string) => call('GET', `/reconciliation/sales/${saleId}?limit=1000`, { token: op }),
    resolve: (op: string, mismatchId: string, resolution: { action: 'refund' | 'accept' | 'write_off'; note?: string }) =>
      call('POST', `/reconciliation/mismatches/${encodeURIComponent(mismatchId)}/resolution`, { token: op, body: resolution }),
    webhook: (partnerId: string, secret: string, event: Record<string, unknown>, now = Date.now()) => {
      const raw = JSON.stringify(event);
      return call('POST', `/partners/${partnerId}/webhooks`, {
        body: raw,
        headers: { 'flashsale-signature': signWebhook(secret, raw, now) },
      });
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** The contract's webhook signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export function signWebhook(secret: string, rawBody: string, now = Date.now()): string {
  const t = Math.floor(now / 1000);
  const v1 = crypto.createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return `t=${t},v1=${v1}`;
}
