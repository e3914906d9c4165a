// The announcer's object sources on Kubernetes: one informer per kind, started together.
import type { KubeHttp } from './http.js';
import { Informer } from '../runtime/informer.js';
import { startInformers } from '../runtime/informer-group.js';
import type { ObjectWithMeta } from '../runtime/object-key.js';
import {
  L2AnnouncementPolicyV1beta1GVK as PolicyGVK,
  LoadBalancerIPPoolV1beta1GVK as PoolGVK,
  type L2AnnouncementPolicy,
  type LoadBalancerIPPool,
} from '../../generated/index.js';
import { leaseOfCopy } from '../l2/election/lease-copy.js';
import { leaseCopiesPath } from './lease-copies.js';
import type { Node, Service } from '../core/kube-objects.js';
import type { EndpointSlice, LeaseObject } from '../core/kube-objects.js';
import { endpointSliceForCache, nodeForCache, serviceForCache } from '../core/cache-shapes.js';
import type { Logger } from '../runtime/ports/logger.js';
import type { AnnouncerSources } from '../announcer/options.js';

export interface KubeAnnouncerSources extends AnnouncerSources {
  /** Starts every informer; resolves once all have synced, with a promise of their end. */
  start(signal: AbortSignal): Promise<{ done: Promise<void> }>;
}

export function kubeAnnouncerSources(
  http: KubeHttp,
  namespace: string,
  endpointSlicePath: string,
  log: Logger,
): KubeAnnouncerSources {
  const onError = (what: string) => (err: unknown) => log.warn('informer', { resource: what, error: err });
  const informers = {
    policies: new Informer<L2AnnouncementPolicy>(http, { path: PolicyGVK.path, onError: onError('policies') }),
    services: new Informer<Service>(http, {
      path: '/api/v1/services',
      transform: serviceForCache,
      onError: onError('services'),
    }),
    nodes: new Informer<Node>(http, { path: '/api/v1/nodes', transform: nodeForCache, onError: onError('nodes') }),
    slices: new Informer<EndpointSlice>(http, {
      path: endpointSlicePath,
      transform: endpointSliceForCache,
      onError: onError('endpointslices'),
    }),
    // Pools are few and seldom change: what a policy's poolSelector needs (which pool holds an address).
    pools: new Informer<LoadBalancerIPPool>(http, { path: PoolGVK.path, onError: onError('pools') }),
    // Not the Leases: their copies (l2/election/lease-copy.ts), written only on hand-over. A watch
    // of Leases is handed every node's (and kubelet's) renewal inside the apiserver: N x N/10 a second.
    leases: new Informer<LeaseObject>(http, {
      path: leaseCopiesPath(namespace),
      transform: leaseOfCopy,
      onError: onError('l2announcements'),
    }),
  };
  return {
    ...informers,
    start: (signal) => startInformers(Object.values(informers) as Array<Informer<ObjectWithMeta>>, signal),
  };
}
