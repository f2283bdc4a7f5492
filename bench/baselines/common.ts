// What every benchmarked server shares, so the comparison is of what lies behind the
// route and nothing else: the same framework, body parser and token check as the api role.
import express, { type Express } from 'express';
import { createTokenVerifier, type IdentitySettings } from '../../producers/http/auth.js';
import { requireUser } from '../../producers/http/authMiddleware.js';

export function createBaselineApp(identity: IdentitySettings): { app: Express; auth: ReturnType<typeof requireUser> } {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '16kb' }));
  return { app, auth: requireUser(createTokenVerifier(identity)) };
}

export function listen(app: Express, port: number): Promise<number> {
  // A clean exit on SIGTERM, so a --cpu-prof profile gets written.
  process.once('SIGTERM', () => process.exit(0));
  return new Promise((resolve) => {
    const server = app.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
