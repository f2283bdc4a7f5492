// docker-compose.yml is what our users deploy: it must be a valid Compose file with the
// stack and each role of the system as its own service.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../../runtime/system.js';

const env = { ...process.env, AUTH_SECRET: 's', PARTNER_SECRETS: 'p:s', PAYMENT_TOKEN_KEY: 'k' };

function compose(args: string[]) {
  // The Compose v2 plugin where the machine has it, else the standalone docker-compose.
  const v2 = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  const [cmd, pre] = v2.status === 0 ? ['docker', ['compose']] : ['docker-compose', []];
  return spawnSync(cmd, [...pre, '-f', 'docker-compose.yml', ...args], { encoding: 'utf8', env });
}

describe('docker-compose.yml', () => {
  it('passes `compose config -q`', () => {
    const result = compose(['config', '-q']);
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('runs Kafka, the registry, Redis, Postgres and every role as its own service', () => {
    const services = compose(['config', '--services']).stdout.trim().split('\n').sort();
    expect(services).toEqual(['kafka', 'registry', 'redis', 'postgres', ...ROLES].sort());
  });
});
