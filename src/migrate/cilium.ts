// Cilium -> lanlb: CiliumLoadBalancerIPPool (v2alpha1 and v2; `cidrs` or `blocks`) and
// CiliumL2AnnouncementPolicy. The shapes are close: lanlb kept Cilium's field names.
import type { LanlbManifest, Migration, MigrationNote, Selector } from './types.js';
import { MIGRATED_FROM } from './types.js';

interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: Record<string, unknown>;
}

export function isCilium(o: Obj): boolean {
  return (
    o.apiVersion?.startsWith('cilium.io/') === true &&
    (o.kind === 'CiliumLoadBalancerIPPool' || o.kind === 'CiliumL2AnnouncementPolicy')
  );
}

/** Cilium writes allowFirstLastIPs as "Yes"/"No" (and some manifests as a boolean). */
function yes(v: unknown): boolean {
  return v === true || (typeof v === 'string' && v.toLowerCase() === 'yes');
}

export function migrateCilium(objects: readonly Obj[]): Migration {
  const notes: MigrationNote[] = [];
  const out: LanlbManifest[] = [];
  for (const o of objects) {
    const source = `${o.kind}/${o.metadata?.name}`;
    const name = o.metadata?.name ?? 'unnamed';
    const metadata = { name, annotations: { [MIGRATED_FROM]: source } };
    if (o.kind === 'CiliumLoadBalancerIPPool')
      out.push({ apiVersion: 'lanlb.io/v1beta1', kind: 'LoadBalancerIPPool', metadata, spec: poolSpec(o.spec ?? {}) });
    else if (o.kind === 'CiliumL2AnnouncementPolicy')
      out.push({
        apiVersion: 'lanlb.io/v1beta1',
        kind: 'L2AnnouncementPolicy',
        metadata,
        spec: policySpec(o.spec ?? {}, source, notes),
      });
  }
  return { objects: out, notes };
}

function poolSpec(spec: Record<string, unknown>): Record<string, unknown> {
  const blocks = ((spec.blocks ?? spec.cidrs ?? []) as Array<Record<string, string>>).map((b) =>
    b.cidr ? { cidr: b.cidr } : { start: b.start, stop: b.stop },
  );
  const s: Record<string, unknown> = {
    blocks,
    disabled: spec.disabled === true,
    allowFirstLastIPs: yes(spec.allowFirstLastIPs),
  };
  if (spec.serviceSelector) s.serviceSelector = spec.serviceSelector as Selector;
  return s;
}

function policySpec(spec: Record<string, unknown>, source: string, notes: MigrationNote[]): Record<string, unknown> {
  const s: Record<string, unknown> = {
    loadBalancerIPs: spec.loadBalancerIPs !== false,
    externalIPs: spec.externalIPs === true,
  };
  for (const f of ['serviceSelector', 'nodeSelector', 'interfaces'] as const) if (spec[f] !== undefined) s[f] = spec[f];
  if (spec.loadBalancerIPs === undefined && spec.externalIPs === undefined) {
    notes.push({
      source,
      message:
        'neither loadBalancerIPs nor externalIPs was set (Cilium then ' +
        'announces nothing); lanlb defaults to loadBalancerIPs: true',
    });
  }
  return s;
}
