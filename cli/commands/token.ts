// `flashsale token --user <id> [--operator] [--ttl <seconds>]`: a local token, HS256 with
// AUTH_SECRET, issued (AUTH_ISSUER) for the storefront (AUTH_AUDIENCE) or, with --operator,
// for the operator routes (AUTH_OPERATOR_AUDIENCE): what the demo, the tests and a developer use.
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
    .description('print a local bearer token (HS256, signed with AUTH_SECRET), for tests and demos')
    .requiredOption('--user <id>', 'the user id (the token subject)')
    .option('--operator', 'issue it for the operator routes (AUTH_OPERATOR_AUDIENCE) instead of the storefront')
    .option('--ttl <seconds>', 'lifetime in seconds (default and most: AUTH_MAX_TOKEN_AGE_SECONDS)', positiveInt)
    .action(async (opts: { user: string; operator?: boolean; ttl?: number }) => {
      const config = loadConfig();
      // Tokens the api would refuse are worse than none: say why instead.
      const source = config.auth.jwksUrl ? 'AUTH_JWKS_URL' : config.auth.publicKeyPem ? 'AUTH_PUBLIC_KEY' : undefined;
      if (source) throw new Error(`${source} is set: the api accepts only the identity provider's tokens, not local ones`);
      const maxAge = config.auth.maxTokenAgeSeconds;
      if (opts.ttl !== undefined && opts.ttl > maxAge)
        throw new Error(
          `--ttl ${opts.ttl} is over AUTH_MAX_TOKEN_AGE_SECONDS (${maxAge}): the api would refuse the token after ${maxAge} s`,
        );
      console.log(await signUserToken(config, opts.user, { operator: opts.operator ?? false, ttlSeconds: opts.ttl ?? maxAge }));
    });
}
