// Lease names and annotations from docs/contract.md: `lanlb-l2-<service-namespace>.<service-name>` per
// Service (a dot: neither a namespace nor a Service name can hold one, so `a-b/c` and `a/b-c`
// never share a Lease), annotated `lanlb.io/service: <namespace>/<name>`, and the node heartbeat
// Leases that back them. Names are DNS subdomains of at most 253 characters; a namespace (63)
// and a Service name (63) always fit.

export const SERVICE_LEASE_PREFIX = 'lanlb-l2-';
export const NODE_LEASE_PREFIX = 'lanlb-node-';
export const LEASE_TYPE_LABEL = 'lanlb.io/lease';
/** The Service a Service Lease is for; an announcer acts only on a Lease that names its Service. */
export const SERVICE_ANNOTATION = 'lanlb.io/service';
/** The holder's interfaces and their MACs, same order (docs/contract.md). */
export const INTERFACES_ANNOTATION = 'lanlb.io/interfaces';
export const HARDWARE_ADDRESSES_ANNOTATION = 'lanlb.io/hardware-addresses';

export function serviceLeaseName(namespace: string, name: string): string {
  return `${SERVICE_LEASE_PREFIX}${namespace}.${name}`;
}

/** True when the Lease says it is the one for Service `key` (namespace/name). */
export function leaseNamesService(lease: { metadata: { annotations?: Record<string, string> } }, key: string): boolean {
  return lease.metadata.annotations?.[SERVICE_ANNOTATION] === key;
}

/**
 * The name lanlb used before: `lanlb-l2-<namespace>.<name>`, which two Services can share. Such
 * Leases are removed on upgrade; until then one held by a live node defers the new election, so
 * a Service is not answered by an old and a new announcer at once during a rolling update.
 */
export function legacyServiceLeaseName(namespace: string, name: string): string {
  return `${SERVICE_LEASE_PREFIX}${namespace}-${name}`;
}

export function isLegacyServiceLeaseName(name: string): boolean {
  return name.startsWith(SERVICE_LEASE_PREFIX) && !name.slice(SERVICE_LEASE_PREFIX.length).includes('.');
}

export function nodeLeaseName(node: string): string {
  return `${NODE_LEASE_PREFIX}${node}`;
}

/** The Secret (and its key) whose value signs heartbeat frames (docs/contract.md); the controller makes it. */
export const MEMBERLIST_SECRET = 'lanlb-memberlist';
export const MEMBERLIST_KEY = 'secretkey';

/** On a Service Lease taken over from a holder judged dead: that holder's name (see announcer.ts). */
export const TAKEN_OVER_FROM_ANNOTATION = 'lanlb.io/taken-over-from';
