// One real control plane per integration test file: started in `before`, always stopped in
// `after` (also when a test fails), with lanlb's CRDs installed on request.
import { after, before } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { ControlPlane, type ControlPlaneOptions } from '../../src/devcluster/control-plane.js';
import { KubeHttp } from '../../src/kube/http.js';
import { installCrds } from '../../src/kube/crd-install.js';

const execFileP = promisify(execFile);

export interface TestCluster {
  cp: ControlPlane;
  http: KubeHttp;
  custom: CustomObjectsApi;
  /** cluster-admin: for the test's own fixtures and checks */
  kubeconfigPath: string;
  /** the shipped ServiceAccounts under the shipped RBAC (with `rbac: true`) */
  controllerKubeconfig: string;
  announcerKubeconfig: string;
  kubectl(...args: string[]): Promise<string>;
}

/** Where the shipped manifests put the controller's leader-election Lease. */
export const LEADER_NAMESPACE = 'lanlb-leader-election';

/** `lanlb controller` as installed: its ServiceAccount and the manifests' Lease namespace. */
export const controllerAccess = (c: TestCluster): string[] => [
  '--kubeconfig',
  c.controllerKubeconfig,
  '--leader-election-namespace',
  LEADER_NAMESPACE,
];

export { installShippedRbac } from '../../src/devcluster/shipped-rbac.js';
import { installShippedRbac } from '../../src/devcluster/shipped-rbac.js';

export function useCluster(options: ControlPlaneOptions & { crds?: boolean; rbac?: boolean } = {}): TestCluster {
  const ctx = {} as TestCluster;
  before(
    async () => {
      const cp = new ControlPlane(options);
      await cp.start();
      ctx.cp = cp;
      ctx.http = new KubeHttp(cp.kubeConfig());
      ctx.custom = cp.kubeConfig().makeApiClient(CustomObjectsApi);
      ctx.kubeconfigPath = cp.writeKubeconfig();
      ctx.kubectl = async (...args) =>
        (await execFileP('kubectl', ['--kubeconfig', ctx.kubeconfigPath, ...args])).stdout;
      if (options.crds) await installCrds(ctx.http);
      ctx.controllerKubeconfig = cp.writeKubeconfig('controller');
      ctx.announcerKubeconfig = cp.writeKubeconfig('announcer');
      if (options.rbac) await installShippedRbac(ctx.kubeconfigPath, cp.dataDir);
    },
    { timeout: 120_000 },
  );
  after(async () => {
    ctx.http?.close();
    await ctx.cp?.stop();
  });
  return ctx;
}

/** Polls until a value other than undefined or false comes back (see src/devcluster/poll.ts). */
export { pollFor as eventually } from '../../src/devcluster/poll.js';
