// The controller's side of Service Lease copies (l2/election/lease-copy.ts): the one watcher of
// Service Leases. Announcers write a copy after each Lease write of their own; this repairs the
// rest, a second after a Lease changed and its copy did not follow: a writer that died between its
// two writes, announcers of a release before copies, a Lease edited by hand, a Lease deleted. One
// watch of Service Leases in the cluster, not one per node: writes of node heartbeats (and
// kubelets' Leases) are dispatched to it once each.
import type { KubeHttp } from './http.js';
import { Informer } from '../runtime/informer.js';
import { startInformers } from '../runtime/informer-group.js';
import type { ObjectWithMeta } from '../runtime/object-key.js';
import type { L2Announcement } from '../../generated/index.js';
import type { LeaseObject } from '../core/kube-objects.js';
import { copyAction } from '../l2/election/lease-copy.js';
import { LEASE_TYPE_LABEL } from '../l2/election/lease-names.js';
import type { Logger } from '../runtime/ports/logger.js';
import { LeaseCopies, leaseCopiesPath } from './lease-copies.js';

/** Service Leases: labelled, and not a node's heartbeat. */
export const SERVICE_LEASE_SELECTOR = `${LEASE_TYPE_LABEL},${LEASE_TYPE_LABEL}!=node`;
/** How long a Lease's own writer has to write its copy before the controller does. */
export const COPY_REPAIR_DELAY_MS = 1_000;

export interface LeaseCopierOptions {
  http: KubeHttp;
  log: Logger;
  namespace: string;
  repairDelayMs?: number;
}

/** Keeps every Service Lease's copy in line with it until `signal` aborts (the leadership's). */
export async function keepLeaseCopies(o: LeaseCopierOptions, signal: AbortSignal): Promise<void> {
  const onError = (what: string) => (err: unknown) => o.log.warn('informer', { resource: what, error: err });
  const leases = new Informer<LeaseObject>(o.http, {
    path: `/apis/coordination.k8s.io/v1/namespaces/${o.namespace}/leases`,
    query: { labelSelector: SERVICE_LEASE_SELECTOR },
    onError: onError('leases'),
  });
  const copies = new Informer<L2Announcement>(o.http, {
    path: leaseCopiesPath(o.namespace),
    onError: onError('copies'),
  });
  const writer = new LeaseCopies(o.http, o.log);
  const due = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const repair = (): void => {
    timer = undefined;
    const names = [...due];
    due.clear();
    for (const name of names) {
      const lease = leases.get(`${o.namespace}/${name}`);
      if (copyAction(lease, copies.get(`${o.namespace}/${name}`)).kind === 'none') continue;
      o.log.debug('repairing a lease copy', { lease: name });
      void writer.follow(o.namespace, name, lease);
    }
  };
  const mark = (obj: ObjectWithMeta): void => {
    due.add(obj.metadata?.name ?? '');
    timer ??= setTimeout(repair, o.repairDelayMs ?? COPY_REPAIR_DELAY_MS);
  };
  for (const informer of [leases, copies] as Array<Informer<ObjectWithMeta>>)
    informer.addHandler({ add: mark, update: mark, delete: mark });
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  const started = await startInformers([leases, copies] as Array<Informer<ObjectWithMeta>>, signal);
  await started.done;
  clearTimeout(timer);
}
