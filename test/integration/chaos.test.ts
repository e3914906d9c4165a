// A short, seeded chaos run (issue 9; `npm run chaos` is the long one): two replicas under the
// shipped RBAC, a random workload with leader SIGKILLs and a SIGSTOP/SIGCONT; afterwards no
// address is held twice unless shared, every LoadBalancer Service has an address or a reason,
// every address lies in a pool that selects its Service, and pool counts match the Services.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { controllerAccess, LEADER_NAMESPACE, useCluster } from '../helpers/cluster.js';
import { startLanlb, type LanlbProcess } from '../helpers/lanlb-process.js';
import { runChaos, settledViolations } from '../helpers/chaos.js';

const SEED = Number(process.env.LANLB_CHAOS_SEED ?? 20261126);

describe('chaos (short)', () => {
  const c = useCluster({ crds: true, rbac: true });
  const replicas = new Map<string, LanlbProcess>();
  const fast = ['--lease-duration', '2s', '--renew-deadline', '1500ms', '--retry-period', '250ms'];
  const start = (identity: string) => {
    const args = ['controller', '--webhook-addr', '0', ...controllerAccess(c), '--identity', identity];
    const p = startLanlb([...args, '--health-addr', '0', '--metrics-addr', '0', ...fast]);
    replicas.set(identity, p);
    return p;
  };
  after(async () => {
    for (const p of replicas.values()) {
      p.child.kill('SIGCONT');
      await p.stop();
    }
  });

  it(`seed ${SEED}: 200 operations, 4 leader faults, then every invariant holds`, async () => {
    start('r1');
    start('r2');
    const leader = async () => {
      const path = `/apis/coordination.k8s.io/v1/namespaces/${LEADER_NAMESPACE}/leases/lanlb-controller`;
      const lease = await c.http.get<{ spec: { holderIdentity?: string } }>(path).catch(() => undefined);
      return replicas.get(lease?.spec.holderIdentity ?? '');
    };
    let generation = 0;
    const restart = (killed: LanlbProcess) => {
      const identity = [...replicas].find(([, p]) => p === killed)?.[0] ?? 'r';
      replicas.delete(identity);
      return start(`${identity.replace(/-\d+$/, '')}-${++generation}`);
    };
    await new Promise((r) => setTimeout(r, 3_000));
    const run = await runChaos({
      http: c.http,
      seed: SEED,
      operations: 200,
      faults: 4,
      replicas: () => [...replicas.values()],
      leader,
      restart,
    });
    assert.equal(run.faults, 4);
    assert.deepEqual(await settledViolations(c.http), [], `seed ${SEED}`);
  });
});
