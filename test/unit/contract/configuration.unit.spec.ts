// The configuration deployments rely on, checked against the code: every variable
// platform/config.ts reads is in the README's table and in the public contract
// (docs/contract.md), with the default the code really applies, and neither names one more.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.js';
import { PROJECT_ROOT } from '../../../stack/paths.js';

type Row = { name: string; defaultCell: string };

/** The rows of the variable table in a document's "## Configuration" section. */
function configurationTable(file: string): Row[] {
  const text = fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
  const start = text.indexOf('\n## Configuration');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*([^|]*?)\s*\|/gm)].map((m) => ({ name: m[1]!, defaultCell: m[2]! }));
}

/** The variables loadConfig reads, as it reads them: from an environment that records each lookup. */
function variablesTheCodeReads(): string[] {
  const read = new Set<string>();
  const recording = new Proxy<NodeJS.ProcessEnv>(
    {},
    {
      get(_target, key) {
        // zod also probes `then` and `catch` to tell a promise apart; variables are upper case.
        if (typeof key === 'string' && /^[A-Z][A-Z0-9_]*$/.test(key)) read.add(key);
        return undefined;
      },
    },
  );
  loadConfig(recording);
  return [...read].sort();
}

const readme = configurationTable('README.md');
const contract = configurationTable('docs/contract.md');
const codeReads = variablesTheCodeReads();
const atDefaults = loadConfig({});
/** Variables whose default depends on the cluster the process meets (documented as a rule, not a value). */
const CLUSTER_DERIVED = new Set(['KAFKA_REPLICATION_FACTOR', 'KAFKA_MIN_INSYNC_REPLICAS']);

describe('configuration', () => {
  it('finds the variables the code reads and both tables', () => {
    expect(codeReads).toContain('KAFKA_BROKERS');
    expect(codeReads.length).toBeGreaterThanOrEqual(9);
    expect(readme.length).toBeGreaterThanOrEqual(9);
  });

  it('documents exactly the variables the code reads, in the README and in the contract', () => {
    expect(readme.map((r) => r.name).sort()).toEqual(codeReads);
    expect(contract.map((r) => r.name).sort()).toEqual(codeReads);
  });

  it('gives each variable the same default in the contract as in the README', () => {
    const contractDefaults = new Map(contract.map((r) => [r.name, r.defaultCell]));
    for (const { name, defaultCell } of readme)
      expect({ name, default: contractDefaults.get(name) }).toEqual({ name, default: defaultCell });
  });

  // A documented default, set explicitly, must give the same configuration as nothing set.
  it.each(readme)('$name: the documented default is the one the code applies', ({ name, defaultCell }) => {
    const literal = defaultCell === 'empty' ? '' : /^`([^`]*)`$/.exec(defaultCell)?.[1];
    if (literal !== undefined) {
      expect(loadConfig({ [name]: literal })).toEqual(atDefaults);
      return;
    }
    // A default decided at start from the cluster: unset in the configuration, and the rule is tested with durabilityFor.
    if (CLUSTER_DERIVED.has(name)) {
      expect(loadConfig({}).kafkaDurability).toEqual({});
      return;
    }
    // The only other default without a value to write down: a development secret, warned about.
    expect(defaultCell).toMatch(/^a dev (secret|key)\b/);
    expect(atDefaults.devDefaults).toContain(name);
  });

  it('works with no variable set at all, warning about the development secrets', () => {
    expect(atDefaults.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(atDefaults.partnerSecrets.get('demo-pay')).toEqual(['dev-secret']);
    expect(atDefaults.devDefaults).toEqual(['AUTH_SECRET', 'PAYMENT_TOKEN_KEY', 'PARTNER_SECRETS']);
    // The partners' development secret is warned about even when listed among real ones.
    expect(loadConfig({ PARTNER_SECRETS: 'acme:a-real-secret,demo-pay:dev-secret' }).devDefaults).toContain('PARTNER_SECRETS');
    expect(loadConfig({ PARTNER_SECRETS: 'acme:a-real-secret' }).devDefaults).not.toContain('PARTNER_SECRETS');
  });

  it('refuses a malformed value with the variable named', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ PARTNER_SECRETS: 'no-secret-here' })).toThrow(/PARTNER_SECRETS/);
  });
});
