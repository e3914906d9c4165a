// The shipped read-only role (config/status-reader) installed and bound to the limited test user,
// as a cluster admin would for `lanlb status` and `lanlb plan`.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { LIMITED_USER } from '../../src/devcluster/control-plane.js';
import type { TestCluster } from './cluster.js';

const ROLE = new URL('../../config/status-reader/cluster-role.yaml', import.meta.url);

export async function bindStatusReader(c: TestCluster, binding: string): Promise<void> {
  const role = parse(readFileSync(ROLE, 'utf8')) as object;
  await c.http.post('/apis/rbac.authorization.k8s.io/v1/clusterroles', role);
  await c.kubectl(
    'create',
    'clusterrolebinding',
    binding,
    '--clusterrole=lanlb-status-reader',
    `--user=${LIMITED_USER}`,
  );
}
