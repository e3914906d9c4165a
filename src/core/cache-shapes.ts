// What the caches keep of each object: only the fields decisions read (pure). Both processes
// watch every Service, Node and EndpointSlice of the cluster but act on few; a full Service
// with managedFields and a last-applied-configuration annotation costs kilobytes in a
// cache, a Service that is not of type LoadBalancer now costs one small record (name, namespace,
// uid, resourceVersion, type), as controller-runtime's cache transforms do.
import type { EndpointSlice, Node, ObjectMeta, Service } from './kube-objects.js';

/** Annotations lanlb reads: its own, and MetalLB's and Cilium's fallbacks. */
const READ_ANNOTATIONS = /^(lanlb\.io|metallb\.io|metallb\.universe\.tf|lbipam\.cilium\.io|io\.cilium)\//;

/** Copies the defined values only, so absent fields cost nothing. */
function defined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

function identity(m: ObjectMeta): ObjectMeta {
  return defined({ name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion });
}

function readAnnotations(a: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!a) return undefined;
  const kept = Object.entries(a).filter(([k]) => READ_ANNOTATIONS.test(k));
  return kept.length ? Object.fromEntries(kept) : undefined;
}

export function serviceForCache(svc: Service): Service {
  const spec = svc.spec ?? {};
  const ingress = svc.status?.loadBalancer?.ingress?.map((i) => defined({ ip: i.ip, hostname: i.hostname }));
  // Addresses still in status after a type change must stay visible, so they can be released.
  if (spec.type !== 'LoadBalancer' && !spec.externalIPs?.length && !ingress?.length)
    return { metadata: identity(svc.metadata), spec: defined({ type: spec.type }) };
  const m = svc.metadata;
  return defined({
    metadata: defined({
      ...identity(m),
      generation: m.generation,
      creationTimestamp: m.creationTimestamp,
      deletionTimestamp: m.deletionTimestamp,
      labels: m.labels,
      annotations: readAnnotations(m.annotations),
    }),
    spec: defined({
      type: spec.type,
      loadBalancerClass: spec.loadBalancerClass,
      loadBalancerIP: spec.loadBalancerIP,
      externalIPs: spec.externalIPs,
      ipFamilies: spec.ipFamilies,
      ipFamilyPolicy: spec.ipFamilyPolicy,
      externalTrafficPolicy: spec.externalTrafficPolicy,
      ports: spec.ports?.map((p) => defined({ name: p.name, port: p.port, protocol: p.protocol })),
    }),
    status:
      ingress || svc.status?.conditions
        ? defined({ loadBalancer: { ingress }, conditions: svc.status?.conditions })
        : undefined,
  });
}

export function nodeForCache(node: Node): Node {
  return { metadata: defined({ ...identity(node.metadata), labels: node.metadata.labels }) };
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const HOSTNAME = 'kubernetes.io/hostname';

export function endpointSliceForCache(s: EndpointSlice): EndpointSlice {
  const service = s.metadata.labels?.[SERVICE_NAME_LABEL];
  return {
    metadata: defined({ ...identity(s.metadata), labels: service ? { [SERVICE_NAME_LABEL]: service } : undefined }),
    endpoints: (s.endpoints ?? []).map((e) =>
      defined({
        conditions: e.conditions?.ready === undefined ? undefined : { ready: e.conditions.ready },
        nodeName: e.nodeName,
        topology: e.topology?.[HOSTNAME] ? { [HOSTNAME]: e.topology[HOSTNAME] } : undefined,
      }),
    ),
  };
}
