// MetalLB -> lanlb: IPAddressPool (metallb.io/v1beta1), L2Advertisement, and the legacy
// ConfigMap `config` (address-pools, MetalLB < 0.13; seed article 001).
import { parse } from 'yaml';
import type { LanlbManifest, Migration, MigrationNote, Selector } from './types.js';
import { MIGRATED_FROM, POOL_NAME_LABEL } from './types.js';

interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

const NS_LABEL = 'io.kubernetes.service.namespace';

/** "a-b" ranges and CIDRs as MetalLB writes them, to lanlb blocks. */
export function metallbBlocks(
  addresses: unknown,
  source: string,
  notes: MigrationNote[],
): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const a of Array.isArray(addresses) ? addresses : []) {
    const text = String(a).trim();
    if (text.includes('/')) out.push({ cidr: text });
    else if (text.includes('-')) {
      // Neither IPv4 nor IPv6 addresses contain '-': it only separates a range.
      const [start = '', stop = '', extra] = text.split('-').map((t) => t.trim());
      if (start && stop && extra === undefined) out.push({ start, stop });
      else notes.push({ source, message: `address ${JSON.stringify(text)} is neither a CIDR nor a range` });
    } else out.push({ start: text, stop: text });
  }
  return out;
}

function poolFromMetallb(
  name: string,
  spec: Record<string, unknown>,
  source: string,
  notes: MigrationNote[],
  labels?: Record<string, string>,
): LanlbManifest {
  const out: Record<string, unknown> = { blocks: metallbBlocks(spec.addresses, source, notes) };
  // MetalLB hands out every address unless avoidBuggyIPs, which skips .0 and .255.
  out.allowFirstLastIPs = spec.avoidBuggyIPs !== true;
  if (spec.avoidBuggyIPs === true)
    notes.push({
      source,
      message:
        'avoidBuggyIPs: lanlb skips the first and last address of each CIDR block ' +
        '(allowFirstLastIPs: false); .0/.255 inside start/stop ranges are handed out',
    });
  if (spec.autoAssign === false) out.autoAssign = false;
  const selector = selectorFromServiceAllocation(
    spec.serviceAllocation as ServiceAllocation | undefined,
    source,
    notes,
  );
  if (selector) out.serviceSelector = selector;
  return {
    apiVersion: 'lanlb.io/v1beta1',
    kind: 'LoadBalancerIPPool',
    // Labels are kept: an L2Advertisement's ipAddressPoolSelectors (now a poolSelector) match them.
    metadata: {
      name,
      ...(labels && Object.keys(labels).length ? { labels } : {}),
      annotations: { [MIGRATED_FROM]: source },
    },
    spec: out,
  };
}

interface ServiceAllocation {
  priority?: number;
  namespaces?: string[];
  namespaceSelectors?: unknown[];
  serviceSelectors?: Selector[];
}

/** MetalLB's serviceAllocation as one lanlb serviceSelector, noting what cannot be carried over. */
function selectorFromServiceAllocation(
  alloc: ServiceAllocation | undefined,
  source: string,
  notes: MigrationNote[],
): Selector | undefined {
  if (!alloc) return undefined;
  const sel: Selector = {};
  if (alloc.namespaces?.length) sel.matchExpressions = [{ key: NS_LABEL, operator: 'In', values: alloc.namespaces }];
  const svcSel = alloc.serviceSelectors ?? [];
  if (svcSel.length === 1) {
    sel.matchLabels = { ...(svcSel[0]?.matchLabels ?? {}) };
    sel.matchExpressions = [...(sel.matchExpressions ?? []), ...(svcSel[0]?.matchExpressions ?? [])];
  } else if (svcSel.length > 1)
    notes.push({
      source,
      message:
        'serviceAllocation.serviceSelectors: several selectors (OR) cannot ' +
        'be one lanlb serviceSelector; only namespaces were carried over',
    });
  if (alloc.namespaceSelectors?.length)
    notes.push({
      source,
      message:
        'serviceAllocation.namespaceSelectors select by Namespace labels, ' +
        'which lanlb selectors cannot see; list the namespaces instead',
    });
  if (alloc.priority !== undefined)
    notes.push({ source, message: 'serviceAllocation.priority has no lanlb equivalent (lanlb tries pools by name)' });
  if (sel.matchLabels && Object.keys(sel.matchLabels).length === 0) delete sel.matchLabels;
  if (sel.matchExpressions?.length === 0) delete sel.matchExpressions;
  return sel.matchLabels || sel.matchExpressions ? sel : undefined;
}

/**
 * An L2Advertisement as lanlb policies. Its pools (ipAddressPools by name, ipAddressPoolSelectors
 * by label; MetalLB ORs them) become poolSelectors: one policy per clause, since one selector
 * cannot OR (their union announces exactly what MetalLB did). Pools named are labelled with
 * lanlb.io/pool-name so a selector can name them. Neither set: every pool, as in MetalLB.
 */
function policiesFromL2Advertisement(
  o: Obj,
  pools: Map<string, LanlbManifest>,
  source: string,
  notes: MigrationNote[],
): LanlbManifest[] {
  const spec = o.spec ?? {};
  const base: Record<string, unknown> = { loadBalancerIPs: true, externalIPs: false };
  const nodeSelectors = (spec.nodeSelectors as Selector[] | undefined) ?? [];
  if (nodeSelectors.length === 1) base.nodeSelector = nodeSelectors[0];
  else if (nodeSelectors.length > 1)
    notes.push({
      source,
      message: 'several nodeSelectors (OR) cannot be one lanlb nodeSelector: make one policy per selector',
    });
  const ifaces = (spec.interfaces as string[] | undefined) ?? [];
  if (ifaces.length) base.interfaces = ifaces.map((i) => `^${i.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const clauses = poolClauses(spec, pools, source, notes);
  const name = o.metadata?.name ?? 'l2';
  return (clauses.length ? clauses : [undefined]).map((poolSelector, i) => ({
    apiVersion: 'lanlb.io/v1beta1',
    kind: 'L2AnnouncementPolicy',
    metadata: { name: i === 0 ? name : `${name}-${i + 1}`, annotations: { [MIGRATED_FROM]: source } },
    spec: poolSelector ? { ...base, poolSelector } : { ...base },
  }));
}

/** The pool selectors an advertisement ORs: its names as one clause, then each label selector. */
function poolClauses(
  spec: Record<string, unknown>,
  pools: Map<string, LanlbManifest>,
  source: string,
  notes: MigrationNote[],
): Selector[] {
  const names = (spec.ipAddressPools as string[] | undefined) ?? [];
  const selectors = (spec.ipAddressPoolSelectors as Selector[] | undefined) ?? [];
  for (const n of names) {
    const pool = pools.get(n);
    if (pool) pool.metadata.labels = { ...(pool.metadata.labels ?? {}), [POOL_NAME_LABEL]: n };
    else
      notes.push({
        source,
        message: `ipAddressPools names ${n}, which is not in the input: label that pool ${POOL_NAME_LABEL}=${n}`,
      });
  }
  const byName: Selector[] = names.length
    ? [{ matchExpressions: [{ key: POOL_NAME_LABEL, operator: 'In', values: [...names] }] }]
    : [];
  return [...byName, ...selectors];
}

function fromLegacyConfigMap(o: Obj, source: string, notes: MigrationNote[]): LanlbManifest[] {
  const config = parse(o.data?.config ?? '') as {
    'address-pools'?: Array<{
      name?: string;
      protocol?: string;
      addresses?: string[];
      'auto-assign'?: boolean;
      'avoid-buggy-ips'?: boolean;
    }>;
  } | null;
  const out: LanlbManifest[] = [];
  for (const p of config?.['address-pools'] ?? []) {
    const src = `${source} address-pool ${p.name}`;
    if (p.protocol && p.protocol !== 'layer2') {
      notes.push({
        source: src,
        message: `protocol ${p.protocol} is not supported by lanlb (layer 2 only); pool skipped`,
      });
      continue;
    }
    out.push(
      poolFromMetallb(
        p.name ?? 'pool',
        { addresses: p.addresses, autoAssign: p['auto-assign'], avoidBuggyIPs: p['avoid-buggy-ips'] },
        src,
        notes,
      ),
    );
  }
  if (out.length)
    out.push({
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'L2AnnouncementPolicy',
      metadata: { name: 'metallb-layer2', annotations: { [MIGRATED_FROM]: source } },
      spec: { loadBalancerIPs: true, externalIPs: false },
    });
  return out;
}

export function isMetallb(o: Obj): boolean {
  return (
    Boolean(o.apiVersion?.startsWith('metallb.io/')) ||
    (o.kind === 'ConfigMap' && o.metadata?.namespace === 'metallb-system' && typeof o.data?.config === 'string')
  );
}

export function migrateMetallb(objects: readonly Obj[]): Migration {
  const notes: MigrationNote[] = [];
  const pools = new Map<string, LanlbManifest>();
  const objectsOut: LanlbManifest[] = [];
  for (const o of objects) {
    const source = `${o.kind}/${o.metadata?.name}`;
    if (o.kind === 'IPAddressPool') {
      const p = poolFromMetallb(o.metadata?.name ?? 'pool', o.spec ?? {}, source, notes, o.metadata?.labels);
      pools.set(p.metadata.name, p);
      objectsOut.push(p);
    } else if (o.kind === 'ConfigMap') objectsOut.push(...fromLegacyConfigMap(o, source, notes));
  }
  for (const o of objects) {
    const source = `${o.kind}/${o.metadata?.name}`;
    if (o.kind === 'L2Advertisement') objectsOut.push(...policiesFromL2Advertisement(o, pools, source, notes));
    else if (o.kind === 'BGPAdvertisement' || o.kind === 'BGPPeer')
      notes.push({ source, message: 'BGP is not supported by lanlb (layer 2 only)' });
  }
  return { objects: objectsOut, notes };
}
