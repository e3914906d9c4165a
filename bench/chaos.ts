// `npm run chaos [-- --ops N --faults N --seed N]`: the long chaos run (issue 9) on a fresh
// control plane under the shipped RBAC: two controller replicas, a seeded random workload, leader
// SIGKILLs and SIGSTOP/SIGCONTs, then the contract's invariants. Prints the figures for
// docs/benchmarks.md; exits 1 when an invariant fails (with the seed to repeat it).
import { parseArgs } from 'node:util';
import { ControlPlane } from '../src/devcluster/control-plane.js';
import { KubeHttp } from '../src/kube/http.js';
import { installCrds } from '../src/kube/crd-install.js';
import { installShippedRbac, LEADER_NAMESPACE } from '../test/helpers/cluster.js';
import { startLanlb, type LanlbProcess } from '../test/helpers/lanlb-process.js';
import { runChaos, settledViolations } from '../test/helpers/chaos.js';

const { values } = parseArgs({
  options: { ops: { type: 'string' }, faults: { type: 'string' }, seed: { type: 'string' } },
});
const operations = Number(values.ops ?? 10_000);
const faults = Number(values.faults ?? 20);
const seed = Number(values.seed ?? Date.now() % 1_000_000);

const cp = new ControlPlane();
await cp.start();
const http = new KubeHttp(cp.kubeConfig());
const replicas = new Map<string, LanlbProcess>();
const fast = ['--lease-duration', '2s', '--renew-deadline', '1500ms', '--retry-period', '250ms'];
let generation = 0;
const start = (identity: string): LanlbProcess => {
  const access = ['--kubeconfig', cp.writeKubeconfig('controller'), '--leader-election-namespace', LEADER_NAMESPACE];
  const p = startLanlb([
    'controller',
    '--webhook-addr',
    '0',
    ...access,
    '--identity',
    identity,
    '--health-addr',
    '0',
    '--metrics-addr',
    '0',
    ...fast,
    '--log-level',
    'warn',
  ]);
  replicas.set(identity, p);
  return p;
};
let code = 0;
try {
  await installCrds(http);
  await installShippedRbac(cp.writeKubeconfig(), cp.dataDir);
  start('r1');
  start('r2');
  await new Promise((r) => setTimeout(r, 3_000));
  const leader = async () => {
    const path = `/apis/coordination.k8s.io/v1/namespaces/${LEADER_NAMESPACE}/leases/lanlb-controller`;
    const lease = await http.get<{ spec: { holderIdentity?: string } }>(path).catch(() => undefined);
    return replicas.get(lease?.spec.holderIdentity ?? '');
  };
  const restart = (killed: LanlbProcess): LanlbProcess => {
    const identity = [...replicas].find(([, p]) => p === killed)?.[0] ?? 'r';
    replicas.delete(identity);
    return start(`r-${++generation}`);
  };
  const t0 = performance.now();
  const run = await runChaos({
    http,
    seed,
    operations,
    faults,
    replicas: () => [...replicas.values()],
    leader,
    restart,
    log: (l) => console.error(l),
  });
  const seconds = (performance.now() - t0) / 1000;
  const violations = await settledViolations(http, 60_000);
  console.log(
    JSON.stringify({
      seed,
      operations: run.operations,
      faults: run.faults,
      seconds: Number(seconds.toFixed(1)),
      violations,
    }),
  );
  if (violations.length) code = 1;
} finally {
  for (const p of replicas.values()) {
    p.child.kill('SIGCONT');
    await p.stop();
  }
  http.close();
  await cp.stop();
}
process.exit(code);
