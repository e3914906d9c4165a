// `lanlb plan -f FILE...` (also `kubectl lanlb plan`): read-only preview of what applying (or,
// with --delete, removing) pools and policies would do, decided by the controller's own code on
// the live cluster's state (src/preview). Reads pools, policies, Services and Nodes; writes nothing.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import {
  LoadBalancerIPPoolV1beta1GVK as PoolGVK,
  L2AnnouncementPolicyV1beta1GVK as PolicyGVK,
} from '../../generated/index.js';
import type { L2AnnouncementPolicy, LoadBalancerIPPool } from '../../generated/index.js';
import { KubeHttp } from '../kube/http.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { DEFAULT_LOAD_BALANCER_CLASS } from '../reconcile/annotations.js';
import { isLanlbObject, validateObject } from '../validate/validate-objects.js';
import { convert, V1BETA1 } from '../conversion/convert.js';
import { movesHeldAddress, planChange, type Manifest, type PlanReport } from '../preview/preview.js';
import { renderPlan } from '../preview/render.js';
import type { Node, Service } from '../core/kube-objects.js';
import { UsageError } from './process-flags.js';
import { explain, listAll } from './status-command.js';

/** Exit code when applying the files would release or move an address a Service holds. */
export const EXIT_WOULD_MOVE = 3;

export const planHelp = `Usage: lanlb plan -f FILE... [--delete] [-o text|json] [flags]
       kubectl lanlb plan [same flags]

Previews, without writing anything, what applying the LoadBalancerIPPools and
L2AnnouncementPolicies in FILE (or, with --delete, deleting them) would do, decided by the
controller's own allocator on the cluster's current state: per Service, each address it keeps,
gains, loses or moves, with the reason the controller would give (pool deleted, no longer
contains it, no longer selects the Service); per pool, its state and counts after (Conflicting
with which pool, InvalidBlocks, Disabled); per policy, the Services and nodes it selects after.
Apply the files together (one kubectl apply): the controller takes pool changes that arrive
within 200 ms as one, as this preview does. Needs read access only (the lanlb-status-reader role).

Flags:
  -f, --filename FILE      manifests to preview (repeatable; "-" reads standard input; further
                           FILEs may follow without -f); other kinds in them are ignored
  --delete                 preview deleting the objects the files name instead of applying them
  -o, --output FORMAT      text (default) or json (shape: docs/contract.md, "lanlb plan")
  --kubeconfig PATH        kubeconfig file (else KUBECONFIG, ~/.kube/config, in-cluster)
  --context NAME           kubeconfig context to use
  --load-balancer-class C  the class lanlb handles (default ${DEFAULT_LOAD_BALANCER_CLASS})

Exit codes:
  0  no address a Service holds would be released or moved (gains and pending are fine)
  1  the cluster or a file could not be read, or a manifest is invalid (as lanlb validate says)
  2  usage error
  ${EXIT_WOULD_MOVE}  at least one held address would be released or moved (gate a merge on it)
`;

interface PlanFlags {
  files: string[];
  remove: boolean;
  output: 'text' | 'json';
  kubeconfig?: string;
  context?: string;
  loadBalancerClass: string;
}

function readFlags(argv: string[]): PlanFlags | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      filename: { type: 'string', short: 'f', multiple: true },
      delete: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      'load-balancer-class': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const files = [...(values.filename ?? []), ...positionals];
  if (files.length === 0) throw new UsageError('give at least one -f FILE (or -f - for standard input)');
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output must be text or json, not ${output}`);
  return {
    files,
    remove: values.delete ?? false,
    output,
    kubeconfig: values.kubeconfig,
    context: values.context,
    loadBalancerClass: values['load-balancer-class'] ?? DEFAULT_LOAD_BALANCER_CLASS,
  };
}

export async function planCommand(argv: string[]): Promise<number> {
  const flags = readFlags(argv);
  if (flags === 'help') {
    console.log(planHelp);
    return 0;
  }
  const read = readManifests(flags.files, flags.remove);
  if (read.problems.length) {
    for (const p of read.problems) console.error(`lanlb plan: ${p}`);
    return 1;
  }
  const http = new KubeHttp(loadKubeConfig(flags.kubeconfig, flags.context));
  try {
    const report = await previewOnCluster(http, read.manifests, flags);
    console.log(flags.output === 'json' ? JSON.stringify(report, null, 2) : renderPlan(report));
    return movesHeldAddress(report) ? EXIT_WOULD_MOVE : 0;
  } finally {
    http.close();
  }
}

/** Reads the cluster's state and previews the change on it. */
export async function previewOnCluster(
  http: KubeHttp,
  manifests: readonly Manifest[],
  f: Pick<PlanFlags, 'remove' | 'loadBalancerClass'>,
): Promise<PlanReport> {
  const [pools, policies, services, nodes] = await Promise.all([
    listAll<LoadBalancerIPPool>(http, PoolGVK.path).catch(explain('LoadBalancerIPPools')),
    listAll<L2AnnouncementPolicy>(http, PolicyGVK.path).catch(explain('L2AnnouncementPolicies')),
    listAll<Service>(http, '/api/v1/services').catch(explain('Services')),
    listAll<Node>(http, '/api/v1/nodes').catch(explain('Nodes')),
  ]);
  return planChange({
    pools,
    policies,
    services,
    nodes,
    apply: f.remove ? [] : manifests,
    remove: f.remove ? manifests.map((m) => ({ kind: m.kind, name: m.metadata.name ?? '' })) : [],
    loadBalancerClass: f.loadBalancerClass,
    now: new Date().toISOString(),
  });
}

/**
 * The lanlb objects of the files as v1beta1 with the CRDs' defaults, or what is wrong with them.
 * For --delete only kind and name matter (as for kubectl delete -f): nothing else is checked.
 */
export function readManifests(
  files: readonly string[],
  forDelete = false,
): { manifests: Manifest[]; problems: string[] } {
  const manifests: Manifest[] = [];
  const problems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (err) {
      problems.push(`${file}: cannot read: ${(err as Error).message}`);
      continue;
    }
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length) {
        problems.push(`${file}: YAML: ${doc.errors[0]?.message.split('\n')[0]}`);
        continue;
      }
      const o = doc.toJS() as unknown;
      if (!isLanlbObject(o)) continue;
      if (forDelete) {
        if (o.metadata?.name) manifests.push(o as unknown as Manifest);
        else problems.push(`${file}: ${o.kind}: metadata.name: is required`);
        continue;
      }
      const invalid = validateObject(o);
      for (const p of invalid) problems.push(`${file}: ${p.object}: ${p.path}: ${p.message}`);
      const up = invalid.length ? undefined : convert(o, V1BETA1);
      if (up?.ok) manifests.push(withDefaults(up.object as unknown as Manifest));
      else if (up) problems.push(`${file}: ${o.kind}/${o.metadata?.name ?? ''}: ${up.message}`);
    }
  }
  return { manifests, problems };
}

/** The schema defaults the apiserver would fill in, so an unchanged manifest compares equal. */
function withDefaults(m: Manifest): Manifest {
  const { namespace: _ignored, ...metadata } = m.metadata as Manifest['metadata'] & { namespace?: string };
  if (m.kind === 'LoadBalancerIPPool')
    return { ...m, metadata, spec: { disabled: false, allowFirstLastIPs: false, autoAssign: true, ...m.spec } };
  return { ...m, metadata, spec: { loadBalancerIPs: true, externalIPs: false, ...m.spec } };
}
