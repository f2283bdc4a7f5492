// The `claims` role alone in its own process, for crash tests: a real process the test can
// SIGKILL in the middle of a storm. TOPIC_PREFIX names the test's topics and Redis keys.
// Prints {"ready":true} once its consumer runs; SIGTERM stops it cleanly.
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/log.js';
import { openPlatform } from '../../runtime/platform.js';
import { startSystem } from '../../runtime/system.js';

const config = { ...loadConfig(), opsPort: 0 };
const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');
const system = await startSystem(await openPlatform(config, log), ['claims']);
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
process.once('SIGTERM', () => {
  void system.stop().finally(() => process.exit(0));
});
