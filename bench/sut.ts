// The system under test, as its own process: the same roles `flashsale start --roles` runs
// (runtime/system.ts), but with its projections in the bench's own Postgres schema, so a
// run never touches the live `public` schema and its replay can compare against it.
//   tsx bench/sut.ts '{"roles":["api","claims"],"dbSchema":"bench_x"}'   (env: TOPIC_PREFIX, PORT, ...)
// Prints {"port": n} (or {} without the api role) once every role has started; SIGTERM stops it.
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/log.js';
import { openPlatform } from '../runtime/platform.js';
import { parseRoles, startSystem } from '../runtime/system.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as { roles: string[]; dbSchema: string };
const config = loadConfig();
const log = createLogger(config.logLevel, `sut:${opts.roles.join('+')}`);
const system = await startSystem(await openPlatform(config, log, { dbSchema: opts.dbSchema }), parseRoles(opts.roles.join(',')));
process.stdout.write(`${JSON.stringify(system.port === undefined ? {} : { port: system.port })}\n`);

await new Promise<void>((resolve) => {
  process.once('SIGTERM', () => resolve());
  process.once('SIGINT', () => resolve());
});
await system.stop();
process.exit(0);
