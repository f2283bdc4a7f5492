// Every route of the public contract (docs/contract.md) and of the routers under producers/,
// with whom it expects and the body it expects: the fuzzer starts from a valid-shaped
// request so that part of what it sends gets past validation into the code behind it,
// and bends the rest out of shape.
import fc from 'fast-check';

/** What the running system holds that a request can name: real ids reach deeper code than invented ones. */
export type FuzzWorld = {
  /** Open sales (never closed by the fuzzer), one of them asking for a proof of work. */
  saleIds: string[];
  /** Sales the fuzzer may close. */
  closableSaleIds: string[];
  /** Entered (some granted) transactions of the users below, in sale saleIds[0]. */
  transactionIds: string[];
  /** Each of those transactions' owner's token: a clean request names its own transaction. */
  ownerTokens: Record<string, string>;
  productIds: string[];
  /** Partners with a webhook secret, and the secret. */
  partners: Record<string, string>;
  userTokens: string[];
  operatorToken: string;
  /** Authorization headers that must not get anyone in: wrong secret, expired, `alg: none`, ... */
  badAuthorizations: string[];
};

export type Param = 'saleId' | 'closableSaleId' | 'transactionId' | 'productId' | 'partnerId' | 'mismatchId';

export type RouteSpec = {
  method: string;
  segments: (string | { param: Param })[];
  guard: 'user' | 'operator' | 'partner' | 'none';
  /** A body the route would accept, as far as the fuzzer can build one. */
  body?: (world: FuzzWorld) => fc.Arbitrary<Record<string, unknown>>;
  /** How often it is picked, relative to the others (the expensive or trivial ones less). */
  weight: number;
};

const p = (param: Param) => ({ param });
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

const claimBody = (w: FuzzWorld) =>
  fc.record(
    {
      transactionId: fc.constantFrom(...w.transactionIds),
      quantity: fc.integer({ min: 1, max: 3 }),
      challengeSolution: fc.oneof(fc.string({ maxLength: 40 }), fc.base64String({ maxLength: 80 })),
    },
    { requiredKeys: ['transactionId', 'quantity'] },
  );

const productBody = (w: FuzzWorld) =>
  fc.record({
    name: fc.string({ minLength: 1, maxLength: 30 }),
    partnerId: fc.constantFrom(...Object.keys(w.partners)),
    priceMinor: fc.integer({ min: 0, max: 100_000 }),
    currency: fc.constantFrom('EUR', 'USD'),
  });

const saleBody = (w: FuzzWorld) =>
  fc.record({
    saleId: fc.stringMatching(/^fz[a-z0-9]{1,12}$/),
    productId: fc.constantFrom(...w.productIds),
    // Small: every scheduled sale's slots are pre-warmed in Redis.
    stock: fc.integer({ min: 1, max: 20 }),
    startsAt: fc.constantFrom(iso(-60_000), iso(3_600_000)),
    endsAt: fc.constant(iso(7_200_000)),
    perUserLimit: fc.integer({ min: 1, max: 5 }),
    reservationSeconds: fc.integer({ min: 1, max: 600 }),
    challenge: fc.constantFrom('pow', 'none'),
  });

const webhookBody = (w: FuzzWorld) =>
  fc.record({
    eventId: fc.uuid().map((u) => `fz-${u}`),
    transactionId: fc.oneof(fc.constantFrom(...w.transactionIds), fc.uuid()),
    type: fc.constantFrom('payment', 'refund'),
    quantity: fc.integer({ min: 1, max: 3 }),
    amountMinor: fc.integer({ min: 0, max: 10_000 }),
    currency: fc.constantFrom('EUR', 'USD'),
    occurredAt: fc.constant(iso(0)),
  });

const resolutionBody = () => fc.record({ action: fc.constantFrom('refund', 'accept', 'write_off'), note: fc.string({ maxLength: 40 }) });

export const ROUTES: RouteSpec[] = [
  { method: 'GET', segments: ['healthz'], guard: 'none', weight: 1 },
  // Each readiness check opens a Kafka admin connection: a few are enough.
  { method: 'GET', segments: ['readyz'], guard: 'none', weight: 0.2 },
  { method: 'GET', segments: ['metrics'], guard: 'operator', weight: 0.5 },
  { method: 'GET', segments: ['sales', p('saleId')], guard: 'user', weight: 3 },
  { method: 'POST', segments: ['sales', p('saleId'), 'entries'], guard: 'user', body: () => fc.constant({}), weight: 4 },
  { method: 'GET', segments: ['sales', p('saleId'), 'challenge'], guard: 'user', weight: 2 },
  { method: 'POST', segments: ['sales', p('saleId'), 'claims'], guard: 'user', body: claimBody, weight: 6 },
  { method: 'GET', segments: ['transactions', p('transactionId')], guard: 'user', weight: 3 },
  { method: 'POST', segments: ['transactions', p('transactionId'), 'redirect'], guard: 'user', body: () => fc.constant({}), weight: 4 },
  { method: 'PUT', segments: ['products', p('productId')], guard: 'operator', body: productBody, weight: 4 },
  { method: 'POST', segments: ['sales'], guard: 'operator', body: saleBody, weight: 3 },
  { method: 'POST', segments: ['sales', p('closableSaleId'), 'close'], guard: 'operator', weight: 1 },
  { method: 'GET', segments: ['reconciliation', 'sales', p('saleId')], guard: 'operator', weight: 2 },
  {
    method: 'POST',
    segments: ['reconciliation', 'mismatches', p('mismatchId'), 'resolution'],
    guard: 'operator',
    body: resolutionBody,
    weight: 2,
  },
  { method: 'GET', segments: ['dashboard'], guard: 'operator', weight: 0.5 },
  { method: 'POST', segments: ['partners', p('partnerId'), 'webhooks'], guard: 'partner', body: webhookBody, weight: 6 },
  { method: 'POST', segments: ['partners', p('partnerId'), 'settlements'], guard: 'partner', weight: 1 },
  // No such route: the 404 path gets its share of odd input too.
  { method: 'GET', segments: [p('saleId')], guard: 'none', weight: 1 },
];

/** `POST /sales/:saleId/claims` */
export const routeName = (route: RouteSpec) =>
  `${route.method} /${route.segments.map((s) => (typeof s === 'string' ? s : `:${s.param}`)).join('/')}`;
