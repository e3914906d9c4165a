// Small builders and readers for the objects the integration tests create.
import type { KubeHttp } from '../../src/kube/http.js';
import type { Service } from '../../src/core/kube-objects.js';

export async function ensureNamespace(http: KubeHttp, name: string): Promise<void> {
  try {
    await http.post('/api/v1/namespaces', { metadata: { name } });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
  }
}

export interface ServiceOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ports?: Array<{ port: number; protocol?: string }>;
  type?: string;
  loadBalancerIP?: string;
}

export async function createService(
  http: KubeHttp,
  ns: string,
  name: string,
  o: ServiceOptions = {},
): Promise<Service> {
  await ensureNamespace(http, ns);
  return http.post<Service>(`/api/v1/namespaces/${ns}/services`, {
    metadata: { name, labels: o.labels, annotations: o.annotations },
    spec: {
      type: o.type ?? 'LoadBalancer',
      ports: (o.ports ?? [{ port: 80 }]).map((p, i) => ({
        name: `p${i}`,
        port: p.port,
        protocol: p.protocol ?? 'TCP',
        targetPort: p.port,
      })),
      ...(o.loadBalancerIP ? { loadBalancerIP: o.loadBalancerIP } : {}),
    },
  });
}

export function getService(http: KubeHttp, ns: string, name: string): Promise<Service> {
  return http.get<Service>(`/api/v1/namespaces/${ns}/services/${name}`);
}

export function ips(svc: Service): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
}

export async function createPool(http: KubeHttp, name: string, spec: Record<string, unknown>): Promise<void> {
  await http.post('/apis/lanlb.io/v1beta1/loadbalancerippools', {
    apiVersion: 'lanlb.io/v1beta1',
    kind: 'LoadBalancerIPPool',
    metadata: { name },
    spec,
  });
}

export interface EventItem {
  reason: string;
  message: string;
  type: string;
  involvedObject: { name: string; namespace: string };
}

export async function eventsFor(http: KubeHttp, ns: string, name: string): Promise<EventItem[]> {
  const list = await http.get<{ items: EventItem[] }>(`/api/v1/namespaces/${ns}/events`);
  return list.items.filter((e) => e.involvedObject.name === name);
}

export const nsSelector = (ns: string) => ({ matchLabels: { 'io.kubernetes.service.namespace': ns } });
