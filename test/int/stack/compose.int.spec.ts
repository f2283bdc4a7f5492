// docker-compose.yml is what our users deploy: it must be a valid Compose file with the
// stack and each role of the system as its own service.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
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
});
