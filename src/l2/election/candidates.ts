// Which node should announce a Service: rendezvous (highest-random-weight) hashing ranks the
// eligible nodes per Service, so Services spread evenly over nodes and a node's departure moves
// only its own Services. FNV-1a keeps it pure and stable across processes and versions.

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // One avalanche round (murmur3 fmix32) so similar names do not rank alike.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Eligible nodes, best candidate first, for one Service. */
export function rankCandidates(serviceKey: string, nodes: Iterable<string>): string[] {
  return [...new Set(nodes)]
    .map((node) => ({ node, w: fnv1a(`${serviceKey}\u0000${node}`) }))
    .sort((a, b) => b.w - a.w || (a.node < b.node ? -1 : 1))
    .map((x) => x.node);
}
