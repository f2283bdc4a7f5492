// A small client for the public contract (docs/contract.md), as a storefront,
// an operator or a partner would call it. The demo and the benchmark use it.
import crypto from 'node:crypto';

export type Answer<T = Record<string, unknown>> = { status: number; body: T; headers: Headers };

export function createApiClient(baseUrl: string) {
  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    token?: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer<T>> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      redirect: 'manual',
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
  return {
    call,
    putProduct: (op: string, productId: string, product: { name: string; partnerId: string; priceMinor: number; currency: string }) =>
      call('PUT', `/products/${productId}`, op, product),
    scheduleSale: (op: string, sale: Record<string, unknown>) => call('POST', '/sales', op, sale),
    closeSale: (op: string, saleId: string) => call('POST', `/sales/${saleId}/close`, op, {}),
    sale: (token: string, saleId: string) => call('GET', `/sales/${saleId}`, token),
    enter: (token: string, saleId: string) => call<{ transactionId: string }>('POST', `/sales/${saleId}/entries`, token, {}),
    challenge: (token: string, saleId: string) => call('GET', `/sales/${saleId}/challenge`, token),
    claim: (
      token: string,
      saleId: string,
      body: { transactionId: string; quantity: number; challengeSolution?: unknown },
      waitSeconds?: number,
    ) => call('POST', `/sales/${saleId}/claims`, token, body, waitSeconds ? { prefer: `wait=${waitSeconds}` } : {}),
    transaction: (token: string, transactionId: string) => call('GET', `/transactions/${transactionId}`, token),
    redirect: (token: string, transactionId: string) => call('POST', `/transactions/${transactionId}/redirect`, token, {}),
    reconciliation: (op: string, saleId: string) => call('GET', `/reconciliation/sales/${saleId}`, op),
    webhook: (partnerId: string, secret: string, event: Record<string, unknown>, now = Date.now()) => {
      const raw = JSON.stringify(event);
      return call('POST', `/partners/${partnerId}/webhooks`, undefined, raw, { 'flashsale-signature': signWebhook(secret, raw, now) });
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
