// A second API process for tests that need two (e.g. the same webhook arriving on two
// processes at once): the `api` role over the test's topic prefix and database schema, on
// an ephemeral port it prints as one JSON line.
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/log.js';
import { openPlatform } from '../../runtime/platform.js';
import { startSystem } from '../../runtime/system.js';

const config = { ...loadConfig(), port: 0, opsPort: 0 };
const platform = await openPlatform(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'warn'), {
  dbSchema: process.env.TEST_DB_SCHEMA ?? 'public',
});
const system = await startSystem(platform, ['api']);
process.stdout.write(`${JSON.stringify({ port: system.port })}\n`);
process.once('SIGTERM', () => {
  void system.stop().finally(() => process.exit(0));
});
