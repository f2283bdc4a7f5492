// Writes the OpenAPI description generated from the routes' zod schemas to docs/openapi.json
// (formatted as the repository's prettier does): `npm run gen:openapi`. A unit test checks the
// committed file equals what the code generates now.
import fs from 'node:fs';
import path from 'node:path';
import prettier from 'prettier';
import { buildOpenApiDocument } from '../producers/http/openapi/document.js';
import { PROJECT_ROOT } from '../stack/paths.js';

export const OPENAPI_FILE = path.join(PROJECT_ROOT, 'docs', 'openapi.json');

export async function renderOpenApi(): Promise<string> {
  const options = (await prettier.resolveConfig(OPENAPI_FILE)) ?? {};
  return prettier.format(JSON.stringify(buildOpenApiDocument()), { ...options, filepath: OPENAPI_FILE });
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  fs.writeFileSync(OPENAPI_FILE, await renderOpenApi());
  console.log(`wrote ${path.relative(PROJECT_ROOT, OPENAPI_FILE)}`);
}
