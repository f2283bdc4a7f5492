// The system as `flashsale start --roles ...` runs it, in a process of its own, for fault
// tests: a crash of any role (an unhandled 'error' event, say) ends this process, which the
// test sees and reports, instead of taking the test worker down with it. ROLES names the
// roles; TOPIC_PREFIX, REDIS_URL and DATABASE_URL point it at the test's own slice and
// servers; SYSTEM_PORT fixes the API's port (so a restarted api answers where the old one did).
// Prints {"ready":true,"port":...,"opsPort":...} once every role runs; SIGTERM stops it cleanly.
import { loadConfig } from '../../../platform/config.js';
import { createLogger } from '../../../platform/log.js';
import { openPlatform } from '../../../runtime/platform.js';
import { parseRoles, startSystem } from '../../../runtime/system.js';

const config = { ...loadConfig(), port: Number(process.env.SYSTEM_PORT ?? 0), opsPort: 0 };
const platform = await openPlatform(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'warn'), {
  dbSchema: process.env.TEST_DB_SCHEMA ?? 'public',
});
const system = await startSystem(platform, parseRoles(process.env.ROLES ?? 'api,claims,projections,reconciliation,expiry'));
process.stdout.write(`${JSON.stringify({ ready: true, port: system.port ?? null, opsPort: system.opsPort, pid: process.pid })}\n`);
process.once('SIGTERM', () => {
  void system.stop().finally(() => process.exit(0));
});
