// Structured logging: one pino logger per process, children carry the role and ids.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', name = 'flashsale'): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['*.authorization', '*.token', '*.secret', 'headers.authorization'], remove: true },
  });
}
