// The controller's object sources on Kubernetes: one informer per kind, started together.
import type { KubeHttp } from './http.js';
import { Informer } from '../runtime/informer.js';
import { startInformers } from '../runtime/informer-group.js';
import type { ObjectWithMeta } from '../runtime/object-key.js';
import {
  LoadBalancerIPPoolV1beta1GVK as PoolGVK,
  L2AnnouncementPolicyV1beta1GVK as PolicyGVK,
  type LoadBalancerIPPool,
  type L2AnnouncementPolicy,
} from '../../generated/index.js';
import type { ControllerSources } from '../controller/ipam-controller.js';
import type { Node, Service } from '../core/kube-objects.js';
import { nodeForCache, serviceForCache } from '../core/cache-shapes.js';
import type { Logger } from '../runtime/ports/logger.js';

export interface KubeControllerSources extends ControllerSources {
  /** Starts every informer; resolves once all have synced, with a promise of their end. */
  start(signal: AbortSignal): Promise<{ done: Promise<void> }>;
}

export function kubeControllerSources(http: KubeHttp, log: Logger): KubeControllerSources {
  const onError = (what: string) => (err: unknown, phase: string) =>
    log.warn('informer', { resource: what, phase, error: err });
  const informers = {
    services: new Informer<Service>(http, {
      path: '/api/v1/services',
      transform: serviceForCache,
      onError: onError('services'),
    }),
    pools: new Informer<LoadBalancerIPPool>(http, { path: PoolGVK.path, onError: onError('pools') }),
    policies: new Informer<L2AnnouncementPolicy>(http, { path: PolicyGVK.path, onError: onError('policies') }),
    nodes: new Informer<Node>(http, { path: '/api/v1/nodes', transform: nodeForCache, onError: onError('nodes') }),
  };
  return {
    ...informers,
    start: (signal) => startInformers(Object.values(informers) as Array<Informer<ObjectWithMeta>>, signal),
  };
}
