// The `reconciliation` role in a process of its own, over the test's topic prefix and
// database schema: a test can kill it (SIGKILL, no goodbye) and start another.
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/log.js';
import { openPlatform } from '../../runtime/platform.js';
import { startSystem } from '../../runtime/system.js';

const platform = await openPlatform({ ...loadConfig(), opsPort: 0 }, createLogger(process.env.TEST_LOG_LEVEL ?? 'warn'), {
  dbSchema: process.env.TEST_DB_SCHEMA ?? 'public',
});
const system = await startSystem(platform, ['reconciliation']);
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
process.once('SIGTERM', () => {
  void system.stop().finally(() => process.exit(0));
});
