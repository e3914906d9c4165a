// The RBAC objects `kubectl apply -k config/default` creates, applied as they ship, so processes
// under test (integration tests, the L2 chaos bed) hold exactly those rights.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const execFileP = promisify(execFile);

/** Namespaces, ServiceAccounts, roles and bindings of config/default, applied with `kubeconfig`. */
export async function installShippedRbac(kubeconfig: string, dir: string): Promise<void> {
  const kinds = new Set(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
  const rendered = (await execFileP('kubectl', ['kustomize', 'config/default'], { maxBuffer: 64 * 1024 * 1024 }))
    .stdout;
  const docs = parseAllDocuments(rendered)
    .map((d) => d.toJS() as { kind?: string })
    .filter((d) => kinds.has(d.kind ?? ''));
  const file = join(dir, 'shipped-rbac.yaml');
  writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
  await execFileP('kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', file]).catch((e: { stderr?: string }) => {
    throw new Error(`kubectl apply of the shipped RBAC failed: ${e.stderr ?? String(e)}`);
  });
}
