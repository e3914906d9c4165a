// Secret lanlb-memberlist: the key announcers sign their heartbeat frames with (docs/contract.md). The
// controller creates it when missing, as MetalLB's controller does its memberlist secret; an
// existing key is never replaced, so running announcers keep authenticating each other.
import { randomBytes } from 'node:crypto';
import type { KubeHttp } from './http.js';
import { isConflict, isNotFound } from '../runtime/ports/api-error.js';
import { MEMBERLIST_KEY, MEMBERLIST_SECRET } from '../l2/election/lease-names.js';
import type { Logger } from '../runtime/ports/logger.js';

export async function ensureMemberlistSecret(http: KubeHttp, namespace: string, log: Logger): Promise<void> {
  const path = `/api/v1/namespaces/${namespace}/secrets`;
  try {
    const existing = await http.get<{ data?: Record<string, string> }>(`${path}/${MEMBERLIST_SECRET}`);
    if (existing.data?.[MEMBERLIST_KEY]) return;
    log.warn('Secret without a heartbeat key: filling it in', { secret: MEMBERLIST_SECRET });
    const data = { ...existing.data, [MEMBERLIST_KEY]: newKey() };
    await http.put(`${path}/${MEMBERLIST_SECRET}`, { ...existing, data });
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await http.post(path, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: MEMBERLIST_SECRET, namespace, labels: { 'app.kubernetes.io/name': 'lanlb' } },
      type: 'Opaque',
      data: { [MEMBERLIST_KEY]: newKey() },
    });
    log.info('created the heartbeat key', { secret: MEMBERLIST_SECRET });
  } catch (err) {
    if (!isConflict(err)) throw err; // another replica made it first
  }
}

/** 128 random bytes, as MetalLB's memberlist secret. */
function newKey(): string {
  return randomBytes(128).toString('base64');
}
