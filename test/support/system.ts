// The running system for an end-to-end or integration test: its own topic prefix (so its
// own topics, registry subjects and Redis keys) and its own PostgreSQL schema, the chosen
// roles started in-process on an ephemeral port, and tokens to call it with.
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/log.js';
import { createDb, ensureSchema } from '../../platform/postgres.js';
import { signUserToken } from '../../producers/http/auth.js';
import { openPlatform, type Platform } from '../../runtime/platform.js';
import { ROLES, startSystem, type Role } from '../../runtime/system.js';
import { freshPrefix } from './realStack.js';

export type TestSystem = {
  platform: Platform;
  prefix: string;
  dbSchema: string;
  baseUrl: string;
  /** The operations port's: /metrics is served there only. */
  opsUrl: string;
  userToken(userId: string): Promise<string>;
  operatorToken(): Promise<string>;
  stop(): Promise<void>;
};

export async function startTestSystem(
  label: string,
  roles: readonly Role[] = ROLES,
  env: Record<string, string> = {},
): Promise<TestSystem> {
  const prefix = freshPrefix(label);
  const dbSchema = prefix.replace(/[^a-z0-9]/g, '_');
  const config = { ...loadConfig({ ...process.env, ...env }), topicPrefix: prefix, port: 0, opsPort: 0 };
  const admin = createDb(config.databaseUrl);
  await ensureSchema(admin, dbSchema);
  await admin.end();
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');
  const platform = await openPlatform(config, log, { dbSchema });
  const system = await startSystem(platform, roles);
  const port = system.port ?? 0;
  return {
    platform,
    prefix,
    dbSchema,
    baseUrl: `http://127.0.0.1:${port}`,
    opsUrl: `http://127.0.0.1:${system.opsPort}`,
    userToken: (userId) => signUserToken(config, userId),
    operatorToken: () => signUserToken(config, 'operator-1', { operator: true }),
    stop: () => system.stop(),
  };
}
