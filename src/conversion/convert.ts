// Conversion between lanlb.io v1alpha1 and v1beta1, for the CRD conversion webhook (pure).
// v1alpha1 -> v1beta1: a pool's spec.cidrs became spec.blocks (adding start/stop ranges and
// allowFirstLastIPs, later autoAssign); a policy's spec.interface (one expression) became
// spec.interfaces (later announceInterval and poolSelector).
// Converting down keeps what v1alpha1 cannot say in the annotation lanlb.io/v1beta1-spec, and
// converting up restores it, so a round trip loses nothing.

import { parseBoundedJson } from '../core/bounded-json.js';

export const PRESERVED_ANNOTATION = 'lanlb.io/v1beta1-spec';
export const V1ALPHA1 = 'lanlb.io/v1alpha1';
export const V1BETA1 = 'lanlb.io/v1beta1';

type Json = Record<string, unknown>;
interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: Json & { annotations?: Record<string, string> };
  spec?: Json;
  status?: unknown;
}

export type ConversionResult = { ok: true; object: KubeObject } | { ok: false; message: string };

function withAnnotation(o: KubeObject, value: Json | undefined): KubeObject['metadata'] {
  const annotations = { ...(o.metadata?.annotations ?? {}) };
  delete annotations[PRESERVED_ANNOTATION];
  if (value && Object.keys(value).length) annotations[PRESERVED_ANNOTATION] = JSON.stringify(value);
  const meta = { ...(o.metadata ?? {}) } as NonNullable<KubeObject['metadata']>;
  if (Object.keys(annotations).length) meta.annotations = annotations;
  else delete meta.annotations;
  return meta;
}

interface Preserved {
  ranges?: Array<{ at: number; block: Json }>;
  allowFirstLastIPs?: boolean;
  interfaces?: string[];
  announceInterval?: string;
  autoAssign?: boolean;
  poolSelector?: Json;
}

/**
 * What the annotation kept, each part only when it has the shape this code wrote. Anyone who may
 * edit an object may edit the annotation: a malformed part is ignored, never trusted (and never
 * a reason to refuse reading a stored object).
 */
function preserved(o: KubeObject): Preserved {
  const text = o.metadata?.annotations?.[PRESERVED_ANNOTATION];
  const parsed = typeof text === 'string' ? parseBoundedJson(text) : undefined;
  if (!parsed?.ok || !isJsonObject(parsed.value)) return {};
  const { ranges, allowFirstLastIPs, interfaces, announceInterval, autoAssign, poolSelector } = parsed.value;
  const out: Preserved = {};
  if (Array.isArray(ranges) && ranges.every(isKeptRange)) out.ranges = ranges;
  if (typeof allowFirstLastIPs === 'boolean') out.allowFirstLastIPs = allowFirstLastIPs;
  if (Array.isArray(interfaces) && interfaces.every((i) => typeof i === 'string')) out.interfaces = interfaces;
  if (typeof announceInterval === 'string') out.announceInterval = announceInterval;
  if (typeof autoAssign === 'boolean') out.autoAssign = autoAssign;
  if (isJsonObject(poolSelector)) out.poolSelector = poolSelector;
  return out;
}

function isKeptRange(r: unknown): r is { at: number; block: Json } {
  return isJsonObject(r) && Number.isSafeInteger(r.at) && (r.at as number) >= 0 && isJsonObject(r.block);
}

function isJsonObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function poolDown(o: KubeObject): KubeObject {
  const { blocks, allowFirstLastIPs, autoAssign, ...rest } = (o.spec ?? {}) as Json & {
    blocks?: Json[];
    allowFirstLastIPs?: boolean;
    autoAssign?: boolean;
  };
  const cidrs = (blocks ?? []).filter((b) => typeof b.cidr === 'string').map((b) => ({ cidr: b.cidr }));
  // Ranges are kept with their positions so the block order (which decides allocation order)
  // survives the round trip.
  const ranges = (blocks ?? []).flatMap((b, at) => (typeof b.cidr === 'string' ? [] : [{ at, block: b }]));
  const keep: Json = {};
  if (ranges.length) keep.ranges = ranges;
  if (allowFirstLastIPs !== undefined && allowFirstLastIPs !== false) keep.allowFirstLastIPs = allowFirstLastIPs;
  // v1alpha1 has no autoAssign (the apiserver would prune it): kept for the way up.
  if (typeof autoAssign === 'boolean') keep.autoAssign = autoAssign;
  // v1alpha1 requires at least one CIDR: a pool of ranges only keeps them all in the annotation.
  return { ...o, apiVersion: V1ALPHA1, metadata: withAnnotation(o, keep), spec: { ...rest, cidrs } };
}

function poolUp(o: KubeObject): KubeObject {
  const { cidrs, ...rest } = (o.spec ?? {}) as Json & { cidrs?: Json[] };
  const keep = preserved(o);
  const blocks: Json[] = (cidrs ?? []).map((c) => ({ cidr: c.cidr }));
  for (const r of keep.ranges ?? []) blocks.splice(Math.min(r.at, blocks.length), 0, r.block);
  const spec: Json = { ...rest, blocks, allowFirstLastIPs: keep.allowFirstLastIPs ?? false };
  if (keep.autoAssign !== undefined) spec.autoAssign = keep.autoAssign;
  return { ...o, apiVersion: V1BETA1, metadata: withAnnotation(o, undefined), spec };
}

function policyDown(o: KubeObject): KubeObject {
  const { interfaces, announceInterval, poolSelector, ...rest } = (o.spec ?? {}) as Json & {
    interfaces?: string[];
    announceInterval?: string;
    poolSelector?: unknown;
  };
  const spec: Json = { ...rest };
  const keep: Json = {};
  if (interfaces && interfaces.length === 1) spec.interface = interfaces[0];
  else if (interfaces && interfaces.length > 1) {
    // One expression that matches when any of them does; the list itself is kept for the way up.
    spec.interface = interfaces.map((i) => `(?:${i})`).join('|');
    keep.interfaces = interfaces;
  } else if (interfaces && interfaces.length === 0) keep.interfaces = interfaces;
  // v1alpha1 has no announceInterval: kept for the way up.
  if (typeof announceInterval === 'string') keep.announceInterval = announceInterval;
  if (isJsonObject(poolSelector)) keep.poolSelector = poolSelector;
  return { ...o, apiVersion: V1ALPHA1, metadata: withAnnotation(o, keep), spec };
}

function policyUp(o: KubeObject): KubeObject {
  const { interface: single, ...rest } = (o.spec ?? {}) as Json & { interface?: string };
  const keep = preserved(o);
  const spec: Json = { ...rest };
  const joined = keep.interfaces?.map((i) => `(?:${i})`).join('|');
  // The kept list applies only while the v1alpha1 expression is still the one made from it.
  if (keep.interfaces && (single === joined || (keep.interfaces.length <= 1 && single === keep.interfaces[0])))
    spec.interfaces = keep.interfaces;
  else if (single !== undefined) spec.interfaces = [single];
  if (keep.announceInterval !== undefined) spec.announceInterval = keep.announceInterval;
  if (keep.poolSelector !== undefined) spec.poolSelector = keep.poolSelector;
  return { ...o, apiVersion: V1BETA1, metadata: withAnnotation(o, undefined), spec };
}

export function convert(input: unknown, desired: string): ConversionResult {
  const problem = shapeProblem(input);
  if (problem !== undefined) return { ok: false, message: problem };
  const o = input as KubeObject;
  if (o.apiVersion === desired) return { ok: true, object: o };
  const known = (v: string) => v === V1ALPHA1 || v === V1BETA1;
  if (!known(o.apiVersion) || !known(desired))
    return { ok: false, message: `cannot convert ${o.apiVersion} to ${desired}` };
  const specProblem = specShapeProblem(o);
  if (specProblem !== undefined) return { ok: false, message: `${o.kind} ${o.apiVersion}: ${specProblem}` };
  if (o.kind === 'LoadBalancerIPPool') return { ok: true, object: desired === V1BETA1 ? poolUp(o) : poolDown(o) };
  if (o.kind === 'L2AnnouncementPolicy') return { ok: true, object: desired === V1BETA1 ? policyUp(o) : policyDown(o) };
  return { ok: false, message: `unknown kind ${o.kind}` };
}

/** Why `o` is not a Kubernetes object this code can read, if it is not. */
function shapeProblem(o: unknown): string | undefined {
  if (!isJsonObject(o)) return 'not a JSON object';
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') return 'apiVersion and kind must be strings';
  if (o.metadata !== undefined && !isJsonObject(o.metadata)) return 'metadata is not an object';
  const annotations = o.metadata?.annotations;
  if (annotations !== undefined && annotations !== null && !isJsonObject(annotations))
    return 'metadata.annotations is not an object';
  if (o.spec !== undefined && o.spec !== null && !isJsonObject(o.spec)) return 'spec is not an object';
  return undefined;
}

/** The fields conversion reads, checked for the shape it reads them in. */
function specShapeProblem(o: KubeObject): string | undefined {
  const spec = o.spec ?? {};
  const objects = (field: string) => {
    const v = spec[field];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) return `spec.${field} is not a list`;
    const bad = v.findIndex((x) => !isJsonObject(x));
    return bad >= 0 ? `spec.${field}[${bad}] is not an object` : undefined;
  };
  if (o.kind === 'LoadBalancerIPPool') return o.apiVersion === V1ALPHA1 ? objects('cidrs') : objects('blocks');
  if (o.apiVersion === V1ALPHA1) {
    const single = spec.interface;
    return single === undefined || single === null || typeof single === 'string'
      ? undefined
      : 'spec.interface is not a string';
  }
  const list = spec.interfaces;
  if (list === undefined || list === null) return undefined;
  return Array.isArray(list) && list.every((i) => typeof i === 'string')
    ? undefined
    : 'spec.interfaces is not a list of strings';
}
