// When two Services may hold one address (MetalLB's allow-shared-ip, Cilium's sharing-key): both
// carry the same sharing key, they are in one namespace or each allows the other's namespace,
// and no port/protocol pair is used by both.
import type { ServiceRequest } from './service-request.js';

export function sharingProblem(a: ServiceRequest, b: ServiceRequest): string | undefined {
  if (a.sharingKey === undefined || b.sharingKey === undefined)
    return 'sharing needs lanlb.io/sharing-key on both Services';
  if (a.sharingKey !== b.sharingKey) return `sharing keys differ (${a.sharingKey} vs ${b.sharingKey})`;
  if (a.namespace !== b.namespace) {
    const allows = (s: ServiceRequest, ns: string): boolean =>
      s.sharingNamespaces.includes('*') || s.sharingNamespaces.includes(ns);
    if (!allows(a, b.namespace) || !allows(b, a.namespace)) {
      return `cross-namespace sharing needs lanlb.io/sharing-cross-namespace on both (${a.namespace}, ${b.namespace})`;
    }
  }
  const used = new Set(b.ports.map((p) => `${p.port}/${p.protocol}`));
  const clash = a.ports.find((p) => used.has(`${p.port}/${p.protocol}`));
  if (clash) return `port ${clash.port}/${clash.protocol} is used by both`;
  return undefined;
}
