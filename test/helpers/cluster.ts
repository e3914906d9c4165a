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
  kubeconfigPath: string;
  kubectl(...args: string[]): Promise<string>;
}

export function useCluster(options: ControlPlaneOptions & { crds?: boolean } = {}): TestCluster {
  const ctx = {} as TestCluster;
  before(async () => {
    const cp = new ControlPlane(options);
    await cp.start();
    ctx.cp = cp;
    ctx.http = new KubeHttp(cp.kubeConfig());
    ctx.custom = cp.kubeConfig().makeApiClient(CustomObjectsApi);
    ctx.kubeconfigPath = cp.writeKubeconfig();
    ctx.kubectl = async (...args) => (await execFileP('kubectl', ['--kubeconfig', ctx.kubeconfigPath, ...args])).stdout;
    if (options.crds) await installCrds(ctx.http);
  }, { timeout: 120_000 });
  after(async () => {
    ctx.http?.close();
    await ctx.cp?.stop();
  });
  return ctx;
}

/** Polls until a value other than undefined or false comes back (see src/devcluster/poll.ts). */
export { pollFor as eventually } from '../../src/devcluster/poll.js';
