// GET /openapi.json (the generated description) and /docs (Swagger UI, served from the
// swagger-ui-dist package: every asset local, no CDN). The page gets its own
// Content-Security-Policy, scripts from this origin only; every other answer keeps helmet's.
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router } from 'express';
import { buildOpenApiDocument } from './document.js';

/** The assets the page loads from the package, and nothing else of it. */
const ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png'];

/**
 * What the viewer needs: its scripts and styles from here (its styles set inline style
 * attributes), images as data: URIs, calls to this origin. Unlike helmet's default, no
 * upgrade-insecure-requests: the page is also read over plain HTTP on a developer's machine.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>flashsale API</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

// An external script, not an inline one: the policy allows none.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});
`;

export function createApiDocsRouter(): Router {
  const document = buildOpenApiDocument();
  const assetsDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const router = Router();
  router.get('/openapi.json', (_req, res) => void res.json(document));
  router.use('/docs', (_req, res, next) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    next();
  });
  router.get('/docs', (_req, res) => void res.type('html').send(PAGE));
  router.get('/docs/init.js', (_req, res) => void res.type('js').send(INIT));
  router.use(
    '/docs/assets',
    (req, _res, next) => (ASSETS.includes(req.path.slice(1)) ? next() : next('router')),
    express.static(assetsDir, { index: false, fallthrough: false, maxAge: '1h' }),
  );
  return router;
}
