// `flashsale topics` prints the catalog an operator or analyst reads: every topic with its
// prefix, key, retention and event types, and with --json the schemas themselves.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eventSchemas } from '../../../schemas/events/index.js';
import { topics } from '../../../schemas/topics.js';

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync('node', ['bin/flashsale.js', 'topics', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('flashsale topics', () => {
  it('lists every topic with its key, retention and event types, under the configured prefix', () => {
    const result = run([], { TOPIC_PREFIX: 'tenant-a' });
    expect(result.status, result.stderr).toBe(0);
    for (const t of topics) {
      expect(result.stdout).toContain(`tenant-a.flashsale.${t.name}\n  key: ${t.key}`);
      for (const e of t.events) expect(result.stdout).toContain(`- ${e}  (subject tenant-a.flashsale.${t.name}-dev.flashsale.events.${e})`);
    }
    expect(result.stdout).toContain('retention: kept forever');
  });

  it('prints the catalog with every schema as JSON', () => {
    const result = run(['--json']);
    const catalog = JSON.parse(result.stdout) as { topic: string; events: { type: keyof typeof eventSchemas; schema: unknown }[] }[];
    expect(catalog.map((t) => t.topic)).toEqual(topics.map((t) => `flashsale.${t.name}`));
    for (const e of catalog.flatMap((t) => t.events)) expect(e.schema).toEqual(eventSchemas[e.type]);
  });
});
