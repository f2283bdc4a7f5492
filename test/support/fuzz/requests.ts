// A generated request to one of the routes: its method (mostly the route's own), a path with
// known or bent parameters, a token that fits the route or not, a body that is valid-shaped,
// bent, of the wrong shape or not JSON at all, declared with a content type and coding that
// may lie, and for webhooks a signature that may be right (over the decoded body) or not.
import zlib from 'node:zlib';
import fc from 'fast-check';
import { signWebhook } from '../../../platform/webhookSignature.js';
import { rawRequestArb } from './rawRequests.js';
import { ROUTES, routeName, type FuzzWorld, type Param, type RouteSpec } from './routes.js';
import { printable, type FuzzRequest } from './sender.js';
import {
  CONTENT_TYPES,
  FORWARDED_FOR,
  ODD_ENCODINGS,
  ODD_JSON_TEXTS,
  PREFER_VALUES,
  SIGNATURE_JUNK,
  jsonText,
  oddValue,
  queryArb,
  segmentArb,
} from './values.js';

function knownIds(world: FuzzWorld, param: Param): string[] {
  switch (param) {
    case 'saleId':
      return world.saleIds;
    case 'closableSaleId':
      return world.closableSaleIds;
    case 'transactionId':
      return world.transactionIds;
    case 'productId':
      return world.productIds;
    case 'partnerId':
      return Object.keys(world.partners);
    case 'mismatchId':
      return ['mm-unknown'];
  }
}

function pathArb(world: FuzzWorld, route: RouteSpec): fc.Arbitrary<string> {
  const segments = route.segments.map((s) => (typeof s === 'string' ? fc.constant(s) : segmentArb(knownIds(world, s.param))));
  return fc.tuple(fc.tuple(...segments), queryArb).map(([parts, query]) => `/${parts.join('/')}${query}`);
}

function authorizationArb(world: FuzzWorld, route: RouteSpec): fc.Arbitrary<string | undefined> {
  const user = fc.constantFrom(...world.userTokens).map((t) => `Bearer ${t}`);
  const operator = fc.constant(`Bearer ${world.operatorToken}`);
  const fitting = route.guard === 'user' ? user : route.guard === 'operator' ? operator : fc.constant(undefined);
  return fc.oneof(
    { weight: 7, arbitrary: fitting },
    { weight: 1, arbitrary: fc.oneof(user, operator) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom(...world.badAuthorizations) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`) },
  );
}

/** The valid-shaped body with a few fields removed, replaced by odd values, or added. */
function bentBody(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> {
  const edit = fc.tuple(
    fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom('__proto__', 'constructor', 'quantity')),
    fc.option(oddValue),
  );
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 3 }), fc.nat()).map(([body, edits, pick]) => {
    const bent: Record<string, unknown> = { ...body };
    const keys = Object.keys(body);
    for (const [extra, value] of edits) {
      // Mostly a field the route knows, sometimes one it does not.
      const key = keys.length > 0 && pick % 3 !== 0 ? keys[(pick + extra.length) % keys.length]! : extra;
      if (value === null) delete bent[key];
      else Object.defineProperty(bent, key, { value, enumerable: true, configurable: true, writable: true });
    }
    return bent;
  });
}

function bodyTextArb(world: FuzzWorld, route: RouteSpec): fc.Arbitrary<Buffer | undefined> {
  const valid = route.body ? route.body(world) : fc.constant({});
  const json = (a: fc.Arbitrary<unknown>) => a.map((v) => Buffer.from(jsonText(v)));
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: json(valid) },
    { weight: 4, arbitrary: json(bentBody(valid)) },
    { weight: 2, arbitrary: json(fc.jsonValue({ maxDepth: 3 })) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_JSON_TEXTS).map((t) => Buffer.from(t)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
    // Past the 16 kB limit: 413.
    { weight: 1, arbitrary: fc.integer({ min: 16_000, max: 40_000 }).map((n) => Buffer.from(JSON.stringify({ pad: 'x'.repeat(n) }))) },
  );
}

const CODERS: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gzipSync(b),
  deflate: (b) => zlib.deflateSync(b),
  br: (b) => zlib.brotliCompressSync(b),
};

/** The bytes on the wire for a declared coding: encoded as declared, with another coding, or not at all. */
function encode(body: Buffer, declared: string | undefined, honesty: 'honest' | 'other' | 'garbage'): Buffer {
  const coding = declared?.trim().toLowerCase();
  const coder = coding === undefined ? undefined : CODERS[coding];
  if (!coder || honesty === 'garbage') return body;
  return honesty === 'honest' ? coder(body) : (coding === 'gzip' ? CODERS.br! : CODERS.gzip!)(body);
}

const optional = (values: string[], weightOfNone = 3) =>
  fc.oneof({ weight: weightOfNone, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...values) });

function headersArb() {
  return fc.record({
    contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: optional(CONTENT_TYPES, 1) }),
    encoding: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: fc.constantFrom('identity', 'gzip', 'deflate', 'br') },
      { weight: 1, arbitrary: fc.constantFrom(...ODD_ENCODINGS) },
    ),
    honesty: fc.constantFrom<'honest' | 'other' | 'garbage'>('honest', 'honest', 'other', 'garbage'),
    prefer: optional(PREFER_VALUES),
    forwardedFor: optional(FORWARDED_FOR),
    chunked: fc.boolean(),
    expect: optional(['100-continue', 'something-else'], 12),
    signature: fc.oneof(
      { weight: 6, arbitrary: fc.constant('valid') },
      { weight: 3, arbitrary: fc.constantFrom('none', 'stale', 'other-secret') },
      { weight: 1, arbitrary: fc.constantFrom(...SIGNATURE_JUNK) },
    ),
  });
}

function signatureFor(world: FuzzWorld, path: string, body: Buffer | undefined, kind: string): string | undefined {
  const partner = /^\/partners\/([^/]*)\//.exec(path)?.[1] ?? '';
  const secret = Object.hasOwn(world.partners, partner) ? world.partners[partner]! : Object.values(world.partners)[0]!;
  const payload = body ?? Buffer.alloc(0);
  if (kind === 'none') return undefined;
  if (kind === 'valid') return signWebhook(secret, payload);
  if (kind === 'stale') return signWebhook(secret, payload, Math.floor(Date.now() / 1000) - 3_600);
  if (kind === 'other-secret') return signWebhook('not-the-secret', payload);
  return kind;
}

function routeRequestArb(world: FuzzWorld, route: RouteSpec): fc.Arbitrary<FuzzRequest> {
  const method = fc.oneof(
    { weight: 8, arbitrary: fc.constant(route.method) },
    { weight: 2, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS') },
  );
  return fc
    .record({ method, path: pathArb(world, route), auth: authorizationArb(world, route), body: bodyTextArb(world, route), h: headersArb() })
    .map(({ method, path, auth, body, h }) => {
      const headers: Record<string, string> = {};
      const set = (name: string, value: string | undefined) => value !== undefined && (headers[name] = value);
      set('authorization', auth);
      set('content-type', body && h.contentType);
      set('content-encoding', h.encoding);
      set('prefer', h.prefer);
      set('x-forwarded-for', h.forwardedFor);
      set('expect', h.expect);
      if (body && h.chunked) headers['transfer-encoding'] = 'chunked';
      if (route.guard === 'partner') set('flashsale-signature', signatureFor(world, path, body, h.signature));
      return printable({ route: routeName(route), method, path, headers, body: body && encode(body, h.encoding, h.honesty) });
    });
}

/** The token a well-behaved client holds for this route: where it names one of our transactions, the owner's. */
function fittingToken(world: FuzzWorld, route: RouteSpec, path: string, body: Buffer | undefined): string | undefined {
  if (route.guard === 'operator') return world.operatorToken;
  if (route.guard !== 'user') return undefined;
  const named =
    /\/transactions\/([^/]+)/.exec(path)?.[1] ?? (body && (JSON.parse(body.toString()) as { transactionId?: string }).transactionId);
  return (named === undefined ? undefined : world.ownerTokens[named]) ?? world.userTokens[0]!;
}

/**
 * A request as a well-behaved client sends it: the route's method, known ids, its own token
 * (the owner's, where it names a transaction), a valid-shaped body, honestly encoded, and a
 * valid signature. What it reaches is the code behind validation: the stores and Kafka.
 */
function cleanRequestArb(world: FuzzWorld, route: RouteSpec): fc.Arbitrary<FuzzRequest> {
  const segments = route.segments.map((s) => (typeof s === 'string' ? fc.constant(s) : fc.constantFrom(...knownIds(world, s.param))));
  return fc
    .record({
      parts: fc.tuple(...segments),
      body: route.body ? route.body(world).map((b) => Buffer.from(JSON.stringify(b))) : fc.constant(undefined),
      encoding: fc.constantFrom(undefined, undefined, undefined, 'gzip', 'br'),
      prefer: fc.constantFrom(undefined, 'wait=0', 'wait=1'),
    })
    .map(({ parts, body, encoding, prefer }) => {
      const path = `/${parts.join('/')}`;
      const fitting = fittingToken(world, route, path, body);
      const headers: Record<string, string> = {};
      if (fitting) headers.authorization = `Bearer ${fitting}`;
      if (body) headers['content-type'] = 'application/json';
      if (body && encoding) headers['content-encoding'] = encoding;
      if (prefer && route.segments.includes('claims')) headers.prefer = prefer;
      if (route.guard === 'partner') headers['flashsale-signature'] = signatureFor(world, path, body, 'valid')!;
      return printable({ route: routeName(route), method: route.method, path, headers, body: body && encode(body, encoding, 'honest') });
    });
}

/** One request to any route, weighted; now and then raw bytes node:http would not write. */
export function fuzzRequestArb(world: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  const routed = fc.oneof(
    ...ROUTES.map((route) => ({
      weight: Math.round(route.weight * 10),
      // A quarter well-behaved, so that part of the traffic reaches past validation.
      arbitrary: fc.oneof({ weight: 1, arbitrary: cleanRequestArb(world, route) }, { weight: 3, arbitrary: routeRequestArb(world, route) }),
    })),
  );
  return fc.oneof({ weight: 19, arbitrary: routed }, { weight: 1, arbitrary: rawRequestArb(world) });
}
