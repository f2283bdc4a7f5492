// The long-running system: the roles of `flashsale start --roles`, all in one process or one
// per process so a deployment scales them apart. Stopping finishes the batch in hand and
// commits (each consumer's stop does that) before the shared clients close.
import { startOpsServer, type OpsMetrics } from './opsServer.js';
import type { Platform } from './platform.js';
import { createReadinessCheck } from './readiness.js';
import type { RunningRole } from './role.js';
import { startApi } from './roles/api.js';
import { startClaims } from './roles/claims.js';
import { startExpiry } from './roles/expiry.js';
import { startProjections } from './roles/projections.js';
import { startReconciliation } from './roles/reconciliation.js';

export const ROLES = ['api', 'claims', 'projections', 'reconciliation', 'expiry'] as const;
export type Role = (typeof ROLES)[number];

const starters: Partial<Record<Role, (platform: Platform) => Promise<RunningRole>>> = {
  api: startApi,
  claims: startClaims,
  expiry: startExpiry,
  projections: startProjections,
  reconciliation: startReconciliation,
};

export function parseRoles(list: string): Role[] {
  const roles = list
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) throw new Error(`unknown role(s) ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`);
  return roles as Role[];
}

/**
 * `port`: the API's, when the api role runs; `opsPort`: the operations port every process has
 * (metrics, health). `metrics`: what /metrics serves there, the platform's registry by default.
 */
export async function startSystem(
  platform: Platform,
  roles: readonly Role[],
  { metrics = platform.metrics }: { metrics?: OpsMetrics } = {},
): Promise<RunningRole & { port?: number; opsPort: number }> {
  const running: RunningRole[] = [];
  let port: number | undefined;
  for (const role of roles) {
    const start = starters[role];
    if (!start) throw new Error(`role ${role} is not available in this build`);
    const started = await start(platform);
    if ('port' in started && typeof started.port === 'number') port = started.port;
    running.push(started);
    platform.log.info({ role }, 'role started');
  }
  const ops = await startOpsServer({
    port: platform.config.opsPort,
    metrics,
    readiness: createReadinessCheck(platform),
    log: platform.log,
  });
  return {
    port,
    opsPort: ops.port,
    async stop() {
      await ops.stop();
      for (const role of running.reverse()) await role.stop();
      await platform.close();
    },
  };
}
