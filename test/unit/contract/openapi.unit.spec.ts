// The OpenAPI description: valid OpenAPI 3.1, the committed docs/openapi.json is what the
// code generates now (`npm run gen:openapi`), and every route of the contract is described.
import fs from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../../producers/http/openapi/document.js';
import { OPENAPI_FILE, renderOpenApi } from '../../../scripts/gen-openapi.js';
import { PROJECT_ROOT } from '../../../stack/paths.js';

/**
 * Routes the contract names that this API does not serve (yet), each with where it lives
 * instead: the document describes what is served, and the contract test checks it is.
 */
const NOT_SERVED = new Map([['GET /metrics', 'the operations port (OPS_PORT), never the public one']]);

function contractRoutes(): string[] {
  const contract = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'contract.md'), 'utf8');
  const routes = [...contract.matchAll(/`(GET|POST|PUT|DELETE|PATCH) (\/[^` ?]*)/g)].map(
    ([, method, route]) => `${method} ${route!.replace(/:([A-Za-z]+)/g, '{$1}').replace('{id}', '{transactionId}')}`,
  );
  return [...new Set(routes)].sort();
}

describe('the OpenAPI description', () => {
  it('validates as OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(JSON.stringify(buildOpenApiDocument())) as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('is committed as generated: docs/openapi.json equals what `npm run gen:openapi` writes now', async () => {
    const committed = fs.readFileSync(OPENAPI_FILE, 'utf8');
    expect(JSON.parse(committed)).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    expect(committed).toBe(await renderOpenApi());
  });

  it('describes every route of docs/contract.md the API serves, and only those', () => {
    const paths = buildOpenApiDocument().paths ?? {};
    const described = Object.entries(paths).flatMap(([route, item]) =>
      ['get', 'post', 'put', 'delete', 'patch'].filter((m) => m in item).map((m) => `${m.toUpperCase()} ${route}`),
    );
    const served = contractRoutes().filter((r) => !NOT_SERVED.has(r));
    expect(described.sort()).toEqual(served);
  });
});
