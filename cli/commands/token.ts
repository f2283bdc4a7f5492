// `flashsale token --user <id> [--operator] [--ttl <seconds>]`: a token signed with AUTH_SECRET.
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { signUserToken } from '../../producers/http/auth.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive whole number of seconds');
  return n;
}

export function registerTokenCommand(program: Command): void {
  program
    .command('token')
    .description('print a bearer token signed with AUTH_SECRET, for tests and demos')
    .requiredOption('--user <id>', 'the user id (the token subject)')
    .option('--operator', 'grant the operator role')
    .option('--ttl <seconds>', 'lifetime in seconds', positiveInt, 3600)
    .action(async (opts: { user: string; operator?: boolean; ttl: number }) => {
      console.log(await signUserToken(loadConfig().authSecret, opts.user, { operator: opts.operator ?? false, ttlSeconds: opts.ttl }));
    });
}
