#!/usr/bin/env node
// The `flashsale` command. In development (tsx installed, the TypeScript sources present) it
// runs the sources through tsx, so no build step stands between a clone and a working CLI and
// a stale build never shadows the code being edited. Installed for production
// (`npm ci --omit=dev`, as the image is) it runs the compiled JavaScript of `npm run build`
// in dist/; `node dist/cli/main.js` runs a build explicitly.
import fs from 'node:fs';

const sources = new URL('../cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);

async function tsx() {
  try {
    return await import('tsx/esm/api');
  } catch (err) {
    if (err?.code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

const tsxApi = fs.existsSync(sources) ? await tsx() : undefined;
if (tsxApi) {
  tsxApi.register();
  await import(sources.href);
} else if (fs.existsSync(compiled)) {
  await import(compiled.href);
} else {
  console.error('flashsale: neither the compiled build (dist/: `npm run build`) nor tsx (`npm ci`) is installed');
  process.exitCode = 1;
}
