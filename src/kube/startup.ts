// Requests a process makes before it runs (the apiserver's version, which EndpointSlice API it
// serves): retried while the apiserver cannot answer, instead of exiting. Found by the L2 chaos
// run (issue 29): announcers started while the apiserver was frozen exited, and a DaemonSet's Pod
// that exits waits in CrashLoopBackOff (up to 5 minutes) before it tries again.
import { isNotFound, statusCodeOf } from '../runtime/ports/api-error.js';
import type { Logger } from '../runtime/ports/logger.js';
import type { KubeHttp } from './http.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The first retry waits this long, each next one twice as long, up to MAX_WAIT_MS. */
export const FIRST_WAIT_MS = 500;
export const MAX_WAIT_MS = 10_000;

/** Whether the apiserver could not answer (no connection, a timeout, 429, 5xx), as opposed to refused. */
export function unanswered(err: unknown): boolean {
  const status = statusCodeOf(err);
  return status === undefined || status === 429 || status >= 500;
}

/**
 * `request`'s result, retried with backoff (0.5 s doubling to 10 s) while the apiserver does not
 * answer; an answer that refuses (401, 403, ...) is thrown at once: waiting would not change it.
 */
export async function whenAnswered<T>(
  what: string,
  request: () => Promise<T>,
  log: Logger,
  wait: (ms: number) => Promise<void> = sleep,
): Promise<T> {
  for (let delay = FIRST_WAIT_MS; ; delay = Math.min(MAX_WAIT_MS, delay * 2)) {
    try {
      return await request();
    } catch (err) {
      if (!unanswered(err)) throw err;
      log.warn(`the apiserver did not answer (${what}); retrying`, { inMs: delay, error: err });
      await wait(delay);
    }
  }
}

export const ENDPOINT_SLICES_V1 = '/apis/discovery.k8s.io/v1/endpointslices';
export const ENDPOINT_SLICES_V1BETA1 = '/apis/discovery.k8s.io/v1beta1/endpointslices';

/**
 * The EndpointSlice API the apiserver serves: v1, or v1beta1 when v1 is not found (Kubernetes
 * < 1.21). Only a 404 means that: an apiserver that did not answer is asked again (a fallback on
 * any error would watch v1beta1 forever on a cluster that no longer serves it).
 */
export function endpointSlicePath(http: KubeHttp, log: Logger, wait?: (ms: number) => Promise<void>): Promise<string> {
  const ask = async () => {
    try {
      await http.get('/apis/discovery.k8s.io/v1');
      return ENDPOINT_SLICES_V1;
    } catch (err) {
      if (isNotFound(err)) return ENDPOINT_SLICES_V1BETA1;
      throw err;
    }
  };
  return whenAnswered('EndpointSlice API version', ask, log, wait);
}
