// The chaos run's workload (issue 29): two policies (IPv4-only, and dual-stack with an
// announceInterval), a pool each, 20+ LoadBalancer Services, some with externalTrafficPolicy
// Local and EndpointSlices on a few nodes, and the edits faults make to them. Addresses only from
// 192.0.2.0/24, 198.51.100.0/24 and 2001:db8::/32.
import type { KubeHttp } from '../../kube/http.js';
import { statusCodeOf } from '../../runtime/ports/api-error.js';

export const V4_NS = 'chaos-v4';
export const DUAL_NS = 'chaos-dual';
const POOLS = '/apis/lanlb.io/v1beta1/loadbalancerippools';
const POLICIES = '/apis/lanlb.io/v1beta1/l2announcementpolicies';
const SLICES = (ns: string) => `/apis/discovery.k8s.io/v1beta1/namespaces/${ns}/endpointslices`;
const nsSelector = (ns: string) => ({ matchLabels: { 'io.kubernetes.service.namespace': ns } });

export interface ChaosService {
  ns: string;
  name: string;
  /** dual-stack Services ask for their addresses (lanlb.io/ips): index into 198.51.100.x / 2001:db8::a:x */
  slot?: number;
  local: boolean;
  /** nodes with a ready endpoint (externalTrafficPolicy Local only) */
  endpointNodes: string[];
}

/**
 * The harness's own API calls outlast an apiserver frozen for up to 60 s (its connection is closed
 * after 45 s without an answer): transport errors, 5xx and 429 are retried for 150 s. A retry that
 * finds its create done (409) or its delete done (404) took effect the first time.
 */
export async function persist<T>(call: () => Promise<T>): Promise<T | undefined> {
  const until = Date.now() + 150_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const code = statusCodeOf(err);
      if (attempt > 0 && (code === 409 || code === 404)) return undefined;
      if ((code !== undefined && code < 500 && code !== 429) || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

export const serviceKey = (s: { ns: string; name: string }): string => `${s.ns}/${s.name}`;

export class Workload {
  readonly services: ChaosService[] = [];
  private next = 0;
  private readonly usedSlots = new Set<number>();

  constructor(
    private readonly http: KubeHttp,
    private readonly nodes: readonly string[],
  ) {}

  async create(count: number): Promise<void> {
    for (const ns of [V4_NS, DUAL_NS])
      await persist(() => this.http.post('/api/v1/namespaces', { metadata: { name: ns } }));
    await this.pool('chaos-v4', [{ cidr: '192.0.2.32/27' }], V4_NS);
    await this.pool('chaos-dual', [{ cidr: '198.51.100.0/26' }, { cidr: '2001:db8::a:0/120' }], DUAL_NS);
    await this.policy('chaos-v4', { serviceSelector: nsSelector(V4_NS), interfaces: ['^eth0$'] });
    await this.policy('chaos-dual', {
      serviceSelector: nsSelector(DUAL_NS),
      interfaces: ['^eth0$'],
      announceInterval: '5s',
    });
    for (let i = 0; i < count; i++) await this.addService(i % 2 === 0 ? V4_NS : DUAL_NS, i % 5 === 4);
  }

  private pool(name: string, blocks: object[], ns: string): Promise<unknown> {
    const body = { apiVersion: 'lanlb.io/v1beta1', kind: 'LoadBalancerIPPool', metadata: { name } };
    return persist(() => this.http.post(POOLS, { ...body, spec: { blocks, serviceSelector: nsSelector(ns) } }));
  }

  private policy(name: string, spec: object): Promise<unknown> {
    const body = { apiVersion: 'lanlb.io/v1beta1', kind: 'L2AnnouncementPolicy', metadata: { name } };
    return persist(() => this.http.post(POLICIES, { ...body, spec }));
  }

  /** A new Service; `local`: externalTrafficPolicy Local with endpoints on three nodes. */
  async addService(ns: string, local: boolean): Promise<ChaosService> {
    const svc: ChaosService = { ns, name: `s${this.next++}`, local, endpointNodes: [] };
    if (ns === DUAL_NS) svc.slot = this.freeSlot();
    const spec = {
      type: 'LoadBalancer',
      ports: [{ port: 80, targetPort: 80 }],
      ...(local ? { externalTrafficPolicy: 'Local' } : {}),
    };
    const metadata = { name: svc.name, annotations: addressAnnotation(svc) };
    await persist(() => this.http.post(`/api/v1/namespaces/${ns}/services`, { metadata, spec }));
    if (local) {
      svc.endpointNodes = this.nodes.slice(0, 3).map((n) => n);
      await this.writeEndpoints(svc, true);
    }
    this.services.push(svc);
    return svc;
  }

  private freeSlot(): number {
    for (let s = 1; s < 60; s++) {
      if (!this.usedSlots.has(s)) {
        this.usedSlots.add(s);
        return s;
      }
    }
    throw new Error('no free address slot');
  }

  async deleteService(svc: ChaosService): Promise<void> {
    await persist(() => this.http.delete(`/api/v1/namespaces/${svc.ns}/services/${svc.name}`));
    if (svc.local) await persist(() => this.http.delete(`${SLICES(svc.ns)}/${svc.name}-chaos`)).catch(() => undefined);
    this.services.splice(this.services.indexOf(svc), 1);
    if (svc.slot !== undefined) this.usedSlots.delete(svc.slot);
  }

  /** A dual-stack Service asks for other addresses (both families). */
  async readdress(svc: ChaosService): Promise<void> {
    const old = svc.slot;
    svc.slot = this.freeSlot();
    const path = `/api/v1/namespaces/${svc.ns}/services/${svc.name}`;
    await persist(() => this.http.patch(path, { metadata: { annotations: addressAnnotation(svc) } }));
    if (old !== undefined) this.usedSlots.delete(old);
  }

  /** Moves one endpoint of a Local Service from `from` to a node without one. */
  async moveEndpoint(svc: ChaosService, from: string): Promise<string | undefined> {
    const to = this.nodes.find((n) => !svc.endpointNodes.includes(n));
    if (!to || !svc.endpointNodes.includes(from)) return undefined;
    svc.endpointNodes = [...svc.endpointNodes.filter((n) => n !== from), to];
    await this.writeEndpoints(svc, false);
    return to;
  }

  private async writeEndpoints(svc: ChaosService, create: boolean): Promise<void> {
    const name = `${svc.name}-chaos`;
    const body = {
      apiVersion: 'discovery.k8s.io/v1beta1',
      kind: 'EndpointSlice',
      metadata: { name, labels: { 'kubernetes.io/service-name': svc.name } },
      addressType: 'IPv4',
      ports: [{ port: 80, protocol: 'TCP' }],
      endpoints: svc.endpointNodes.map((node, i) => ({
        addresses: [`198.18.0.${10 + i}`],
        conditions: { ready: true },
        topology: { 'kubernetes.io/hostname': node },
      })),
    };
    if (create) await persist(() => this.http.post(SLICES(svc.ns), body));
    else await persist(() => this.http.patch(`${SLICES(svc.ns)}/${name}`, { endpoints: body.endpoints }));
  }

  /** The IPv4-only pool disabled (keeps its allocations, makes no new ones), or enabled again. */
  setPoolDisabled(disabled: boolean): Promise<unknown> {
    return persist(() => this.http.patch(`${POOLS}/chaos-v4`, { spec: { disabled } }));
  }

  /** The IPv4-only policy without `node`, or (undefined) every node again. */
  excludeNode(node: string | undefined): Promise<unknown> {
    const nodeSelector = node
      ? { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: [node] }] }
      : null;
    return persist(() => this.http.patch(`${POLICIES}/chaos-v4`, { spec: { nodeSelector } }));
  }
}

function addressAnnotation(svc: ChaosService): Record<string, string> | undefined {
  if (svc.slot === undefined) return undefined;
  return { 'lanlb.io/ips': `198.51.100.${svc.slot},2001:db8::a:${svc.slot.toString(16)}` };
}
