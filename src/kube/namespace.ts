import type { KubeConfig } from './client-node.js';
import { statusCodeOf } from '../runtime/ports/api-error.js';
import type { KubeHttp } from './http.js';
import type { Logger } from '../runtime/ports/logger.js';

/** client-node's name for the user of the in-cluster service account. */
const IN_CLUSTER_USER = 'inClusterUser';

/**
 * The operator namespace holds the Lease, Events and the webhook Secret. In a cluster it exists
 * (the Deployment runs there, and the manifests create the others) and the ServiceAccounts may
 * not read namespaces, so nothing is attempted; out of cluster it may not exist, so create it
 * when allowed, and say so clearly when not, instead of waiting silently for a Lease that cannot
 * be written.
 */
export async function ensureNamespace(kc: KubeConfig, http: KubeHttp, namespace: string, log: Logger): Promise<void> {
  if (kc.getCurrentUser()?.name === IN_CLUSTER_USER) return;
  try {
    await http.get(`/api/v1/namespaces/${namespace}`);
  } catch (err) {
    if (statusCodeOf(err) !== 404) return;
    try {
      await http.post('/api/v1/namespaces', { metadata: { name: namespace } });
      log.info('created the operator namespace', { namespace });
    } catch (createErr) {
      if (statusCodeOf(createErr) !== 409)
        log.error('the operator namespace does not exist and cannot be created; no Lease, no leadership', {
          namespace,
          error: createErr,
        });
    }
  }
}
