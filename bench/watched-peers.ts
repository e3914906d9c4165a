// Simulated peers that hold Services the measured node must watch (issue 28, the wire side): a node
// checks every heartbeat frame only of the holders it would take over from first (decide.ts
// watchesHolder) and samples the rest, so a segment where every peer holds costs it little unless
// some of them are holders it watches. Here W of the frame generator's peers are Nodes, each the
// holder (a Service Lease naming it, with its MAC) of a Service for which the measured node is
// among the first 3 candidates after it; the generator answers ARP for their VIPs with their MACs,
// so probes and audits find them answering. Addresses from 192.0.2.64/26 only.
import { rankCandidates } from '../src/l2/election/candidates.js';
import {
  HARDWARE_ADDRESSES_ANNOTATION,
  INTERFACES_ANNOTATION,
  LEASE_TYPE_LABEL,
  SERVICE_ANNOTATION,
  serviceLeaseName,
} from '../src/l2/election/lease-names.js';
import { WATCHERS } from '../src/l2/election/decide.js';
import { claimRecord } from '../src/runtime/lease-record.js';
import type { KubeHttp } from '../src/kube/http.js';

const FIRST = [192, 0, 2, 64];
const NS = 'bench-watched';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/lanlb-system/leases';

/** The generator's name and MAC of peer `p` (bench/heartbeat-peers). */
export const peerName = (p: number) => `peer-${String(p).padStart(5, '0')}`;
const peerMac = (p: number) =>
  ['02', '42', '00', (p >> 16) & 255, (p >> 8) & 255, p & 255]
    .map((x) => (typeof x === 'string' ? x : x.toString(16).padStart(2, '0')))
    .join(':');
const vipOf = (p: number) => [...FIRST.slice(0, 3), (FIRST[3] ?? 0) + p].join('.');

interface WatchedService {
  name: string;
  peer: number;
}

/**
 * A Service name per peer for which `me` is among the first WATCHERS candidates after that peer
 * (all candidates alive: the real nodes and the W peers, which the generator keeps heard).
 */
function servicesWatchedBy(me: string, realNodes: readonly string[], count: number): WatchedService[] {
  const nodes = [...realNodes, ...Array.from({ length: count }, (_, p) => peerName(p))];
  return Array.from({ length: count }, (_, peer) => {
    for (let j = 0; j < 10_000; j++) {
      const name = `w${peer}-${j}`;
      const after = rankCandidates(`${NS}/${name}`, nodes).filter((n) => n !== peerName(peer));
      if (after.indexOf(me) < WATCHERS) return { name, peer };
    }
    throw new Error(`no Service name found that ${me} watches for ${peerName(peer)}`);
  });
}

export class WatchedPeers {
  private services: WatchedService[] = [];

  constructor(
    private readonly http: KubeHttp,
    readonly count: number,
  ) {}

  /** The generator's ANSWER argument: peer i answers for the i-th VIP. */
  get answer(): string {
    return `${vipOf(0)}/${this.count}`;
  }

  /** Nodes for the peers, a pool of their VIPs and one Service each, which `me` watches. */
  async create(me: string, realNodes: readonly string[]): Promise<void> {
    this.services = servicesWatchedBy(me, realNodes, this.count);
    for (let p = 0; p < this.count; p++)
      await this.http.post('/api/v1/nodes', {
        metadata: { name: peerName(p), labels: { 'kubernetes.io/hostname': peerName(p) } },
      });
    await this.http.post('/apis/lanlb.io/v1beta1/loadbalancerippools', {
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'LoadBalancerIPPool',
      metadata: { name: 'watched' },
      spec: { blocks: [{ start: vipOf(0), stop: vipOf(this.count - 1) }] },
    });
    await this.http.post('/api/v1/namespaces', { metadata: { name: NS } });
    for (const s of this.services)
      await this.http.post(`/api/v1/namespaces/${NS}/services`, {
        metadata: { name: s.name, annotations: { 'lanlb.io/ips': vipOf(s.peer) } },
        spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 80 }] },
      });
  }

  /**
   * Each Service's Lease names its peer (a won write, as a peer's takeover would be): a real node
   * that took one over while the generator was down withdraws.
   */
  async assign(): Promise<void> {
    for (const s of this.services) {
      const name = serviceLeaseName(NS, s.name);
      const current = await this.http
        .get<{ metadata: { resourceVersion?: string } }>(`${LEASES}/${name}`)
        .catch(() => undefined);
      const lease = {
        metadata: {
          name,
          namespace: 'lanlb-system',
          labels: { [LEASE_TYPE_LABEL]: 'service' },
          annotations: {
            [SERVICE_ANNOTATION]: `${NS}/${s.name}`,
            [INTERFACES_ANNOTATION]: 'eth0',
            [HARDWARE_ADDRESSES_ANNOTATION]: peerMac(s.peer),
          },
          ...(current ? { resourceVersion: current.metadata.resourceVersion } : {}),
        },
        spec: claimRecord(peerName(s.peer), 40_000, Date.now()),
      };
      if (current) await this.http.put(`${LEASES}/${name}`, lease);
      else await this.http.post(LEASES, lease);
    }
  }

  /** Removes the Services, their Leases, the pool and the peers' Nodes. */
  async remove(): Promise<void> {
    for (const s of this.services) {
      await this.http.delete(`/api/v1/namespaces/${NS}/services/${s.name}`).catch(() => undefined);
      await this.http.delete(`${LEASES}/${serviceLeaseName(NS, s.name)}`).catch(() => undefined);
    }
    await this.http.delete('/apis/lanlb.io/v1beta1/loadbalancerippools/watched').catch(() => undefined);
    for (let p = 0; p < this.count; p++) await this.http.delete(`/api/v1/nodes/${peerName(p)}`).catch(() => undefined);
  }
}
