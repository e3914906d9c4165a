// `lanlb status` (also `kubectl lanlb status`): pools, Services, holders, and why something waits.
// Reads only (list pools, policies, Services, and the operator namespace's Leases), with the
// user's kubeconfig; a user who may not read Leases still gets everything else.
import { parseArgs } from 'node:util';
import {
  LoadBalancerIPPoolV1beta1GVK as PoolGVK,
  L2AnnouncementPolicyV1beta1GVK as PolicyGVK,
} from '../../generated/index.js';
import type { L2AnnouncementPolicy, LoadBalancerIPPool } from '../../generated/index.js';
import { KubeHttp } from '../kube/http.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { statusCodeOf } from '../runtime/ports/api-error.js';
import { DEFAULT_LOAD_BALANCER_CLASS } from '../reconcile/annotations.js';
import { SERVICE_LEASE_PREFIX } from '../l2/election/lease-names.js';
import type { LeaseObject, Service } from '../core/kube-objects.js';
import { needsAttention, statusReport, type StatusReport } from '../status/report.js';
import { renderStatus } from '../status/render.js';
import { DEFAULT_NAMESPACE, UsageError } from './process-flags.js';

/** Exit code when a pool conflicts or is invalid, or a Service is pending (for CI smoke tests). */
export const EXIT_NEEDS_ATTENTION = 3;

export const statusHelp = `Usage: lanlb status [-n NAMESPACE | -A] [-o text|json] [flags]
       kubectl lanlb status [same flags]

Shows what lanlb is doing: per LoadBalancerIPPool its total, used and available addresses and
its state (Ready, Conflicting with the other pool and range, InvalidBlocks, Disabled); per
LoadBalancer Service its addresses and the pool each is held through, the policies that
announce it, the node holding its Lease with that node's interfaces and MACs, and why it is
pending when it has no address. Needs read access only (list pools, policies, Services, and
Leases in lanlb's namespace; without the last, holders are not shown).

Flags:
  -n, --namespace NS       Services of this namespace (default: the kubeconfig context's, else default)
  -A, --all-namespaces     Services of every namespace
  -o, --output FORMAT      text (default) or json (shape: docs/contract.md, "lanlb status")
  --kubeconfig PATH        kubeconfig file (else KUBECONFIG, ~/.kube/config, in-cluster)
  --context NAME           kubeconfig context to use
  --lanlb-namespace NS     namespace of lanlb's Leases (env LANLB_NAMESPACE; default ${DEFAULT_NAMESPACE})
  --load-balancer-class C  the class lanlb handles (default ${DEFAULT_LOAD_BALANCER_CLASS})

Exit codes:
  0  every pool is usable and every Service listed has an address
  1  the cluster could not be read (no access, lanlb's CRDs not installed)
  2  usage error
  ${EXIT_NEEDS_ATTENTION}  a pool is Conflicting or invalid, or a listed Service is pending
`;

interface StatusFlags {
  kubeconfig?: string;
  context?: string;
  namespace: string | null;
  output: 'text' | 'json';
  lanlbNamespace: string;
  loadBalancerClass: string;
}

function readFlags(argv: string[], env: NodeJS.ProcessEnv): StatusFlags | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A' },
      output: { type: 'string', short: 'o' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      'lanlb-namespace': { type: 'string' },
      'load-balancer-class': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output must be text or json, not ${output}`);
  if (values.namespace !== undefined && values['all-namespaces'])
    throw new UsageError('--namespace and --all-namespaces exclude each other');
  return {
    kubeconfig: values.kubeconfig,
    context: values.context,
    namespace: values['all-namespaces'] ? null : (values.namespace ?? ''),
    output,
    lanlbNamespace: values['lanlb-namespace'] ?? env.LANLB_NAMESPACE ?? DEFAULT_NAMESPACE,
    loadBalancerClass: values['load-balancer-class'] ?? DEFAULT_LOAD_BALANCER_CLASS,
  };
}

/** Every item of a list, page by page (a large cluster's Services in bounded responses). */
export async function listAll<T>(http: KubeHttp, path: string): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const res = await http.get<{ items?: T[]; metadata?: { continue?: string } }>(path, { limit: 500, continue: next });
    items.push(...(res.items ?? []));
    next = res.metadata?.continue || undefined;
    if (!next) return items;
  }
  throw new Error(`${path}: more than 10,000 pages`);
}

/** Reads what the report needs; Leases are optional (a user may not be allowed to read them). */
export async function readStatus(
  http: KubeHttp,
  f: Pick<StatusFlags, 'namespace' | 'lanlbNamespace' | 'loadBalancerClass'>,
): Promise<StatusReport> {
  const servicesPath = f.namespace === null ? '/api/v1/services' : `/api/v1/namespaces/${f.namespace}/services`;
  const [pools, policies, services] = await Promise.all([
    listAll<LoadBalancerIPPool>(http, PoolGVK.path).catch(explain('LoadBalancerIPPools')),
    listAll<L2AnnouncementPolicy>(http, PolicyGVK.path).catch(explain('L2AnnouncementPolicies')),
    listAll<Service>(http, servicesPath).catch(explain('Services')),
  ]);
  const leases = await listAll<LeaseObject>(http, `/apis/coordination.k8s.io/v1/namespaces/${f.lanlbNamespace}/leases`)
    .then((all) => all.filter((l) => l.metadata.name.startsWith(SERVICE_LEASE_PREFIX)))
    .catch((err: unknown) => {
      if (statusCodeOf(err) === 403) return undefined;
      throw err;
    });
  return statusReport({
    pools,
    policies,
    services,
    leases,
    loadBalancerClass: f.loadBalancerClass,
    namespace: f.namespace,
  });
}

export function explain(what: string): (err: unknown) => never {
  return (err) => {
    const code = statusCodeOf(err);
    if (code === 404) throw new Error(`cannot list ${what}: lanlb's CRDs are not installed in this cluster`);
    if (code === 403) throw new Error(`cannot list ${what}: forbidden (lanlb status needs read access to it)`);
    throw err;
  };
}

export async function statusCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const flags = readFlags(argv, env);
  if (flags === 'help') {
    console.log(statusHelp);
    return 0;
  }
  const kc = loadKubeConfig(flags.kubeconfig, flags.context);
  const namespace =
    flags.namespace === '' ? (kc.getContextObject(kc.currentContext)?.namespace ?? 'default') : flags.namespace;
  const http = new KubeHttp(kc);
  try {
    const report = await readStatus(http, { ...flags, namespace });
    console.log(flags.output === 'json' ? JSON.stringify(report, null, 2) : renderStatus(report));
    return needsAttention(report) ? EXIT_NEEDS_ATTENTION : 0;
  } finally {
    http.close();
  }
}
