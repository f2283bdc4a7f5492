// The operations port of every role, each role in a process of its own as a deployment runs
// them: /healthz, /readyz and /metrics answer on each, each consumer role shows its own lag
// per partition (with its dead letters, its transient-fault state, and for the claims role
// the claim-to-decision histogram), and the api shows every group's lag, the dead-letter
// topic and the stock left in an open sale, read from Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUserToken } from '../../../producers/http/auth.js';
import { loadConfig } from '../../../platform/config.js';
import { createDb, ensureSchema } from '../../../platform/postgres.js';
import { ROLES, type Role } from '../../../runtime/system.js';
import { startSystemChild, type SystemChild } from '../../support/faults/systemChild.js';
import { openTestStack, type TestStack } from '../../support/realStack.js';
import { waitFor } from '../../support/waitFor.js';
import { client, scheduleSale, type Call } from '../storefront/storefrontClient.js';

let stack: TestStack;
const children = new Map<Role, SystemChild>();

/** The consumer groups each role runs, by their names without the prefix. */
const GROUPS: Record<Exclude<Role, 'api'>, string[]> = {
  claims: ['claims.decisions'],
  projections: ['projection.inventory', 'projection.transactions'],
  reconciliation: ['reconciliation'],
  expiry: ['expiry.settlement'],
};

beforeAll(async () => {
  stack = await openTestStack('opsmetrics');
  const schema = stack.prefix.replace(/[^a-z0-9]/g, '_');
  const admin = createDb(stack.config.databaseUrl);
  await ensureSchema(admin, schema);
  await admin.end();
  const started = await Promise.all(
    ROLES.map((role) =>
      startSystemChild({ ROLES: role, TOPIC_PREFIX: stack.prefix, TEST_DB_SCHEMA: schema }).then((c) => [role, c] as const),
    ),
  );
  for (const [role, child] of started) children.set(role, child);
});
afterAll(async () => {
  await Promise.all([...children.values()].map((c) => c.stop()));
  await stack?.close();
});

const ops = (role: Role, path: string) => fetch(`http://127.0.0.1:${children.get(role)!.opsPort}${path}`);
const metricsOf = async (role: Role) => (await ops(role, '/metrics')).text();
/** A sample line's value, for a metric and a label set given as `name{...labels}` with regex-ready label text. */
const sample = (text: string, pattern: string) => new RegExp(`^${pattern} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text)?.[1];

describe('the operations port of each role, each in its own process', () => {
  it('answers /healthz and /readyz on every role', async () => {
    for (const role of ROLES) {
      expect((await ops(role, '/healthz')).status).toBe(200);
      const ready = await ops(role, '/readyz');
      expect([200, 503]).toContain(ready.status);
      expect(await ready.json()).toHaveProperty('parts');
    }
  });

  it("shows each consumer role's lag per partition, dead letters and waits", async () => {
    for (const [role, groups] of Object.entries(GROUPS) as [Exclude<Role, 'api'>, string[]][]) {
      for (const group of groups) {
        const lagLine = `flashsale_consumer_lag\\{group="${stack.prefix}\\.flashsale\\.${group.replace('.', '\\.')}",topic="${stack.prefix}\\.[^"]+",partition="\\d+"\\}`;
        // The gauge lists the partitions the group assigned this process: there once it has joined.
        const text = await waitFor(
          async () => {
            const t = await metricsOf(role);
            return sample(t, lagLine) === undefined ? undefined : t;
          },
          { timeoutMs: 60_000, intervalMs: 500, what: `${role}'s lag gauge for ${group}` },
        );
        expect(Number(sample(text, lagLine))).toBeGreaterThanOrEqual(0);
        expect(sample(text, `flashsale_dead_letters_total\\{consumer="${group.replace('.', '\\.')}"\\}`)).toBe('0');
        expect(sample(text, `flashsale_consumer_waiting\\{consumer="${group.replace('.', '\\.')}"\\}`)).toBe('0');
      }
      // Each role shows its own groups only.
      const others = Object.values(GROUPS)
        .flat()
        .filter((g) => !groups.includes(g));
      const text = await metricsOf(role);
      for (const g of others) expect(text).not.toContain(`flashsale.${g}",topic`);
    }
    expect(await metricsOf('claims')).toMatch(/^flashsale_claim_to_decision_seconds_bucket\{le="0.05"\} \d+$/m);
    for (const role of ['api', 'projections', 'reconciliation', 'expiry'] as const) {
      expect(await metricsOf(role)).not.toContain('flashsale_claim_to_decision_seconds');
    }
  });

  it("shows on the api every group's lag, the dead-letter topic and an open sale's stock", async () => {
    const api = children.get('api')!;
    const call: Call = client({ baseUrl: api.baseUrl });
    const operator = await signUserToken({ ...loadConfig() }, 'operator-ops', { operator: true });
    const { saleId, answer } = await scheduleSale(call, operator, { stock: 7 });
    expect([201, 202]).toContain(answer.status);
    const text = await waitFor(
      async () => {
        const t = await metricsOf('api');
        return t.includes(`sale="${saleId}"`) ? t : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: "the sale's stock gauge" },
    );
    expect(sample(text, `flashsale_sale_stock_remaining\\{sale="${saleId}",status="open"\\}`)).toBe('7');
    for (const group of Object.values(GROUPS).flat()) {
      expect(text).toMatch(
        new RegExp(`^flashsale_consumer_group_lag\\{group="${stack.prefix}\\.flashsale\\.${group.replace('.', '\\.')}",`, 'm'),
      );
    }
    expect(sample(text, 'flashsale_dead_letter_records')).toBe('0');
  });
});
