// The shipped RBAC, applied as `kubectl apply -k config/default` applies it, asked with
// `kubectl auth can-i --as` what each ServiceAccount may do: least (an announcer, that is a
// node, cannot seize controller leadership or read Secrets) and sufficient (the storage
// migration after a CRD upgrade is granted). The other integration tests run the processes
// under these same ServiceAccounts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { useCluster, LEADER_NAMESPACE } from '../helpers/cluster.js';
import { SERVICE_ACCOUNTS } from '../../src/devcluster/control-plane.js';

const execFileP = promisify(execFile);

describe('shipped RBAC (kubectl auth can-i)', () => {
  const c = useCluster({ crds: true, rbac: true });

  const can = async (who: keyof typeof SERVICE_ACCOUNTS, ...args: string[]): Promise<boolean> => {
    const run = execFileP('kubectl', [
      '--kubeconfig',
      c.kubeconfigPath,
      'auth',
      'can-i',
      `--as=${SERVICE_ACCOUNTS[who]}`,
      ...args,
    ]);
    // can-i prints yes/no and exits 1 for no.
    const { stdout } = await run.catch((e: { stdout?: string; code?: number }) => {
      if (e.code === 1 && e.stdout) return { stdout: e.stdout };
      throw e;
    });
    return stdout.trim() === 'yes';
  };

  const table: Array<[keyof typeof SERVICE_ACCOUNTS, boolean, string[]]> = [
    ['announcer', true, ['update', 'leases', '-n', 'lanlb-system']],
    ['announcer', true, ['create', 'leases', '-n', 'lanlb-system']],
    ['announcer', false, ['update', 'leases/lanlb-controller', '-n', LEADER_NAMESPACE]],
    ['announcer', false, ['create', 'leases', '-n', LEADER_NAMESPACE]],
    ['announcer', false, ['delete', 'leases/lanlb-controller', '-n', LEADER_NAMESPACE]],
    ['announcer', false, ['get', 'secrets', '-n', 'lanlb-system']],
    ['announcer', true, ['get', 'secrets/lanlb-memberlist', '-n', 'lanlb-system']],
    ['announcer', false, ['update', 'secrets/lanlb-memberlist', '-n', 'lanlb-system']],
    ['announcer', false, ['update', 'services', '--subresource=status', '-n', 'default']],
    ['announcer', true, ['watch', 'l2announcementpolicies.lanlb.io']],
    ['announcer', true, ['watch', 'loadbalancerippools.lanlb.io']],
    ['announcer', false, ['update', 'loadbalancerippools.lanlb.io']],
    ['announcer', true, ['watch', 'l2announcements.lanlb.io', '-n', 'lanlb-system']],
    ['announcer', true, ['update', 'l2announcements.lanlb.io', '-n', 'lanlb-system']],
    ['announcer', false, ['update', 'l2announcements.lanlb.io', '-n', 'default']],
    ['controller', true, ['watch', 'leases', '-n', 'lanlb-system']],
    ['controller', true, ['create', 'l2announcements.lanlb.io', '-n', 'lanlb-system']],
    ['controller', true, ['get', 'leases/lanlb-controller', '-n', LEADER_NAMESPACE]],
    ['controller', true, ['update', 'leases/lanlb-controller', '-n', LEADER_NAMESPACE]],
    ['controller', false, ['update', 'leases/another', '-n', LEADER_NAMESPACE]],
    ['controller', false, ['update', 'leases', '-n', 'lanlb-system']],
    ['controller', true, ['get', 'leases/lanlb-controller', '-n', 'lanlb-system']],
    ['controller', false, ['update', 'leases/lanlb-controller', '-n', 'lanlb-system']],
    ['controller', true, ['get', 'secrets/lanlb-webhook-cert', '-n', 'lanlb-system']],
    ['controller', true, ['update', 'secrets/lanlb-memberlist', '-n', 'lanlb-system']],
    ['controller', false, ['get', 'secrets/some-other-secret', '-n', 'lanlb-system']],
    ['controller', false, ['list', 'secrets', '-n', 'lanlb-system']],
    ['controller', true, ['update', 'loadbalancerippools.lanlb.io']],
    [
      'controller',
      true,
      ['update', 'customresourcedefinitions.apiextensions.k8s.io/loadbalancerippools.lanlb.io', '--subresource=status'],
    ],
    ['controller', false, ['update', 'customresourcedefinitions.apiextensions.k8s.io/other.example.com']],
    ['controller', false, ['create', 'namespaces']],
    ['controller', true, ['patch', 'services', '--subresource=status', '-n', 'default']],
    ['controller', false, ['update', 'services', '-n', 'default']],
  ];
  for (const [who, allowed, args] of table) {
    it(`${who} ${allowed ? 'may' : 'may not'} ${args.join(' ')}`, async () => {
      assert.equal(await can(who, ...args), allowed);
    });
  }
});
