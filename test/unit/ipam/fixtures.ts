import { serviceLabels } from '../../../src/ipam/label-selector.js';
import type { ServiceRequest } from '../../../src/ipam/service-request.js';
import type { PoolDefinition } from '../../../src/ipam/pool.js';

export function svc(
  key: string,
  over: Partial<ServiceRequest> & { extraLabels?: Record<string, string> } = {},
): ServiceRequest {
  const [namespace = 'default', name = key] = key.includes('/') ? key.split('/') : ['default', key];
  const { extraLabels, ...rest } = over;
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    labels: serviceLabels(namespace, name, extraLabels),
    families: ['IPv4'],
    familyPolicy: 'SingleStack',
    requestedIPs: [],
    sharingNamespaces: [],
    ports: [{ port: 80, protocol: 'TCP' }],
    current: [],
    ...rest,
  };
}

export function pool(
  name: string,
  blocks: PoolDefinition['blocks'],
  over: Partial<PoolDefinition> = {},
): PoolDefinition {
  return { name, createdAt: 1000, blocks, ...over };
}
