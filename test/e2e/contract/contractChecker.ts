// The contract test's checker: calls the running API and checks each answer against the
// OpenAPI document it serves (the status documented for the route, the body valid against
// that status's schema with ajv, JSON Schema 2020-12, the documented headers present).
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import { waitFor } from '../../support/waitFor.js';

type Operation = { responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema: object }> }> };
export type ContractDocument = { openapi: string; paths: Record<string, Record<string, Operation>>; components: object };
export type Answer = { status: number; headers: Headers; body: unknown };
type Snapshot = { sales: { saleId: string }[] };

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export function createContractChecker(baseUrl: string, doc: ContractDocument) {
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  const validators = new Map<string, ValidateFunction>();
  /** Every `METHOD /template status` seen. */
  const seen = new Set<string>();

  /** Calls the API and checks the answer against the document's entry for `template`. */
  async function call(
    method: string,
    template: string,
    values: Record<string, string>,
    opts: { token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; query?: string } = {},
  ): Promise<Answer> {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? ''));
    const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const res = await fetch(`${baseUrl}${path}${opts.query ?? ''}`, {
      method,
      headers,
      body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
      redirect: 'manual',
    });
    const text = await res.text();
    const isJson = res.headers.get('content-type')?.startsWith('application/json') ?? false;
    const answer = { status: res.status, headers: res.headers, body: isJson && text ? (JSON.parse(text) as unknown) : text };
    check(method.toLowerCase(), template, answer);
    return answer;
  }

  function check(method: string, template: string, answer: Answer): void {
    const where = `${method.toUpperCase()} ${template} ${answer.status}`;
    const operation = doc.paths[template]?.[method];
    expect(operation, `${method.toUpperCase()} ${template} is not described`).toBeDefined();
    const response = operation!.responses[String(answer.status)];
    expect(response, `${where} is not documented: ${JSON.stringify(answer.body)}`).toBeDefined();
    seen.add(where);
    for (const name of Object.keys(response!.headers ?? {})) expect(answer.headers.get(name), `${where}: header ${name}`).not.toBeNull();
    const [mediaType, media] = Object.entries(response!.content ?? {})[0] ?? [];
    if (!media) return;
    expect(answer.headers.get('content-type'), where).toContain(mediaType);
    if (mediaType !== 'application/json') return;
    let validate = validators.get(where);
    if (!validate) {
      validate = ajv.compile({ ...media.schema, components: doc.components });
      validators.set(where, validate);
    }
    expect(validate(answer.body) ? [] : validate.errors, `${where}: ${JSON.stringify(answer.body)}`).toEqual([]);
  }

  /** Calls until the answer is not a rate limit's 429 (each one is checked too), and expects `status` then. */
  async function untilNot429(send: () => Promise<Answer>, status: number): Promise<Answer> {
    const answer = await waitFor(
      async () => {
        const a = await send();
        return a.status !== 429 && a;
      },
      { what: 'an answer other than 429', intervalMs: 400 },
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    return answer;
  }

  /** Opens GET /dashboard/stream, checks the answer's head, and validates its first `snapshot` against DashboardSnapshot. */
  async function firstSnapshot(token: string): Promise<Snapshot> {
    const aborted = new AbortController();
    const res = await fetch(`${baseUrl}/dashboard/stream`, { headers: { authorization: `Bearer ${token}` }, signal: aborted.signal });
    check('get', '/dashboard/stream', { status: res.status, headers: res.headers, body: '' });
    expect(res.status).toBe(200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    try {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        const event = /event: snapshot\ndata: (.*)\n\n/.exec(text);
        if (!event) continue;
        const data = JSON.parse(event[1]!) as Snapshot;
        const validate = ajv.compile({ $ref: '#/components/schemas/DashboardSnapshot', components: doc.components });
        expect(validate(data) ? [] : validate.errors, JSON.stringify(data)).toEqual([]);
        return data;
      }
      throw new Error(`no snapshot event within 15 s: ${text}`);
    } finally {
      aborted.abort();
    }
  }

  return { call, check, untilNot429, firstSnapshot, seen };
}

export type ContractChecker = ReturnType<typeof createContractChecker>;
