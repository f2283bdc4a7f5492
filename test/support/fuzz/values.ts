// The odd values the fuzzer bends requests with: path segments whose encoding is broken or
// strange, JSON values of the wrong type or out of every range, header values a client
// might send by mistake or on purpose.
import fc from 'fast-check';

/** Percent-encodings that do not decode, decode to something odd, or look like traversal. */
export const ODD_SEGMENTS = [
  '%',
  '%%',
  '%Z1',
  '%E0%A4%A',
  '%C0%AF',
  '%00',
  '%FF%FE',
  '%2F',
  '%2e%2e',
  '..',
  '.',
  '',
  '%25',
  '%u0041',
  '%ED%A0%80',
  '%EF%BB%BF',
  '%F0%9F%92%A9',
  '__proto__',
  'constructor',
  'null',
  '-1',
  '1e999',
];

/** A path segment as the fuzzer sends it: a known id most of the time, else bent. */
export function segmentArb(known: string[]): fc.Arbitrary<string> {
  const latin1 = fc
    .string({ unit: fc.integer({ min: 0x21, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 20 })
    .map((s) => s.replace(/[/?#]/g, '_'));
  return fc.oneof(
    { weight: 8, arbitrary: known.length > 0 ? fc.constantFrom(...known) : fc.constant('none') },
    { weight: 2, arbitrary: fc.string({ maxLength: 40 }).map(encodeURIComponent) },
    { weight: 2, arbitrary: fc.constantFrom(...ODD_SEGMENTS) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: latin1 },
    // Past Node's 16 kB header limit sometimes: 431.
    { weight: 1, arbitrary: fc.integer({ min: 65, max: 20_000 }).map((n) => 'x'.repeat(n)) },
  );
}

export const queryArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '?',
      '?cursor=%',
      '?status=open&status=resolved',
      '?a[b][c]=1',
      '?__proto__[x]=1',
      '?%=%',
      `?x=${'y'.repeat(3000)}`,
      '?cursor=eyJ4IjoxfQ&status=nope',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => `?cursor=${encodeURIComponent(s)}`) },
);

/** Numbers a JSON parser produces but no field here should accept; never a big valid stock (slots are pre-warmed). */
const oddNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 0.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 1_000_001, 4_294_967_296, Number.MIN_SAFE_INTEGER),
  fc.double().map((n) => (Number.isInteger(n) && n > 1_000 && n <= 1_000_000 ? n + 0.5 : n)),
);

/** Number literals JSON.parse reads into something strange (Infinity, a rounded integer): spliced in as raw text. */
export const RAW_NUMBERS = ['1e999', '-1e999', '123456789012345678901234567890', '-0', '0.0000000000000000000001', '1E2', '5e-324'];
export const rawNumber = (text: string) => ({ __raw: text });

export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, '', ' ', '0', 'NaN', '\u0000', '\ud800', '𝕏'.repeat(100), 'a'.repeat(5000), [], {}, [[[]]]),
  oddNumber,
  fc.constantFrom(...RAW_NUMBERS).map(rawNumber),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.jsonValue({ maxDepth: 2 }),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2026-13-45T99:99:99Z', '2026-01-01', 'tomorrow', '2026-01-01T00:00:00'),
);

/** JSON text, with raw number placeholders replaced by their literal. */
export function jsonText(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(/\{"__raw":"([^"]*)"\}/g, '$1');
}

/** Whole bodies no JSON schema here expects. */
export const ODD_JSON_TEXTS = [
  '',
  ' ',
  'null',
  '[]',
  '"string"',
  '{',
  '{"a":1,"a":2}',
  '\ufeff{}',
  '{}garbage',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `{"a":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
  '{"transactionId":"\\ud800","quantity":1e999}',
  '{"quantity":123456789012345678901234567890}',
];

export const CONTENT_TYPES = [
  'text/plain',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=foo',
  'application/json; charset="',
  ';;;',
  '',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json, text/plain',
  '*/*',
];

export const ODD_ENCODINGS = ['xz', 'gzip, gzip', 'GZIP', 'Gzip', 'compress', '*', '', 'identity, br', 'zstd'];

export const SIGNATURE_JUNK = [
  't=,v1=',
  't=1,v1=zz',
  `v1=${'a'.repeat(64)}`,
  `t=99999999999999,v1=${'b'.repeat(64)}`,
  'garbage',
  't=1,'.repeat(500),
];

export const PREFER_VALUES = [
  'wait=0',
  'wait=1',
  'wait=2',
  'wait=abc',
  'wait=99999999999',
  'wait="1"',
  'wait=',
  'respond-async, wait=1',
  'wait=-1',
];

export const FORWARDED_FOR = ['203.0.113.7', '203.0.113.7, 10.0.0.1', 'garbage', '::1', '999.999.999.999', ' , ,', 'unknown'];
