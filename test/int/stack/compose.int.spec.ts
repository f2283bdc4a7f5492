// docker-compose.yml is what our users deploy: it must be a valid Compose file with the
// stack and each role of the system as its own service, Kafka's event log in its volume,
// every role health-checked, and the api free to scale.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROLES } from '../../../runtime/system.js';

const env = { ...process.env, AUTH_SECRET: 's', PARTNER_SECRETS: 'p:s', PAYMENT_TOKEN_KEY: 'k', GRAFANA_ADMIN_PASSWORD: 'g' };

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

  it('runs Kafka, the registry, Redis, Postgres, every role as its own service, Prometheus and Grafana', () => {
    const services = compose(['config', '--services']).stdout.trim().split('\n').sort();
    expect(services).toEqual(['kafka', 'registry', 'redis', 'postgres', ...ROLES, 'prometheus', 'grafana'].sort());
  });

  it('scrapes every role with Prometheus and provisions its Grafana dashboard from the repository', () => {
    const scrape = fs.readFileSync('deploy/prometheus/prometheus.yml', 'utf8');
    for (const role of ROLES) expect(scrape).toContain(role);
    const dashboard = JSON.parse(fs.readFileSync('deploy/grafana/dashboards/flashsale.json', 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    for (const metric of [
      'flashsale_sale_stock_remaining',
      'flashsale_claim_decisions_total',
      'flashsale_claim_to_decision_seconds_bucket',
      'flashsale_consumer_lag',
      'flashsale_consumer_group_lag',
      'flashsale_dead_letter_records',
      'flashsale_consumer_waiting',
    ]) {
      expect(exprs).toContain(metric);
    }
  });

  type Service = {
    environment?: Record<string, string>;
    // Compose v2 writes the long form; the standalone v1 keeps `source:target:mode`.
    volumes?: ({ type: string; source?: string; target: string } | string)[];
    healthcheck?: { test: string[] };
    ports?: { target: number; published?: string | number }[];
  };
  // The file as Compose resolves it (anchors merged, short forms expanded).
  const resolved = () => parse(compose(['config']).stdout) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
  const services = () => resolved().services;

  it("keeps Kafka's event log inside its named volume, not under the image's /tmp", () => {
    const file = resolved();
    const kafka = file.services.kafka!;
    const logDirs = kafka.environment?.KAFKA_LOG_DIRS;
    expect(logDirs).toBeDefined();
    const named = (kafka.volumes ?? [])
      .map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] ?? '' } : v))
      .filter((v) => v.source !== undefined && Object.keys(file.volumes ?? {}).includes(v.source));
    expect(named.length).toBeGreaterThan(0);
    for (const dir of logDirs!.split(','))
      expect(
        named.some((v) => dir === v.target || dir.startsWith(`${v.target}/`)),
        `${dir} in a named volume`,
      ).toBe(true);
  });

  it('health-checks every role on its operations port and lets the api scale without a fixed host port', () => {
    const all = services();
    for (const role of ROLES) expect(all[role]!.healthcheck?.test.join(' '), role).toMatch(/127\.0\.0\.1:9464\/healthz/);
    const apiPorts = all.api!.ports ?? [];
    expect(apiPorts.map((p) => p.target)).toEqual([3000]);
    expect(apiPorts.every((p) => p.published === undefined || p.published === '')).toBe(true);
  });
});
