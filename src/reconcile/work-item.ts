// What the IPAM controller's work queue holds: a typed union, encoded to one string per item so
// that the queue's dedup (a burst of events for one item runs it once) keeps working.

export type WorkItem =
  | { kind: 'pools' } // pools changed: rebuild the allocator's pools, then write pool status
  | { kind: 'pool-status' } // allocations changed: write pool status (batched)
  | { kind: 'policies' } // policies, nodes or Services changed: write policy status (batched)
  | { kind: 'service'; key: string }; // one Service, by namespace/name

const SERVICE_PREFIX = 'service:';

export function encodeWorkItem(item: WorkItem): string {
  return item.kind === 'service' ? `${SERVICE_PREFIX}${item.key}` : item.kind;
}

export function decodeWorkItem(text: string): WorkItem | undefined {
  if (text.startsWith(SERVICE_PREFIX)) return { kind: 'service', key: text.slice(SERVICE_PREFIX.length) };
  if (text === 'pools' || text === 'pool-status' || text === 'policies') return { kind: text };
  return undefined;
}
