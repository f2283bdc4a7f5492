// The contract's configuration table is what deployments rely on: every variable it names
// is read by platform/config.ts, documented in the README, and has a working default.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.js';
import { PROJECT_ROOT } from '../../../stack/paths.js';

const contract = fs.readFileSync(path.join(PROJECT_ROOT, '..', 'shared', 'design', 'CONTRACT.md'), 'utf8');
const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
const configSource = fs.readFileSync(path.join(PROJECT_ROOT, 'platform', 'config.ts'), 'utf8');
const section = contract.slice(contract.indexOf('## Configuration'), contract.indexOf('## HTTP'));
const variables = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!);

describe('configuration', () => {
  it('finds the variables in the contract', () => {
    expect(variables).toContain('KAFKA_BROKERS');
    expect(variables.length).toBeGreaterThanOrEqual(9);
  });

  it.each(variables)('%s is read by the config and documented in the README', (name) => {
    expect(configSource).toContain(`${name}:`);
    expect(readme).toMatch(new RegExp(`\\|\\s*\`${name}\`\\s*\\|`));
  });

  it('works with no variable set at all, warning about the development secrets', () => {
    const config = loadConfig({});
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(config.partnerSecrets.get('demo-pay')).toEqual(['dev-secret']);
    expect(config.devDefaults).toEqual(['AUTH_SECRET', 'PAYMENT_TOKEN_KEY']);
  });

  it('refuses a malformed value with the variable named', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ PARTNER_SECRETS: 'no-secret-here' })).toThrow(/PARTNER_SECRETS/);
  });
});
