// Lease names from API.md: `lanlb-l2-<service-namespace>-<service-name>` per Service, and the
// node heartbeat Leases that back them. Names are DNS subdomains of at most 253 characters; a
// namespace (63) and a Service name (63) always fit.

export const SERVICE_LEASE_PREFIX = 'lanlb-l2-';
export const NODE_LEASE_PREFIX = 'lanlb-node-';
export const LEASE_TYPE_LABEL = 'lanlb.io/lease';

export function serviceLeaseName(namespace: string, name: string): string {
  return `${SERVICE_LEASE_PREFIX}${namespace}-${name}`;
}

export function nodeLeaseName(node: string): string {
  return `${NODE_LEASE_PREFIX}${node}`;
}
