// Writes an object's status through the /status subresource: compute from the latest object,
// write only when something changed, and retry on 409 Conflict with a fresh read (the
// resourceVersion in the patch makes the write optimistic).
import { isConflict } from '../kube/api-error.js';
import type { KubeHttp } from '../kube/http.js';
import { isDeepStrictEqual } from 'node:util';

export interface WithStatus<S> {
  metadata?: { resourceVersion?: string };
  status?: S;
}

export type StatusWriteOutcome = 'unchanged' | 'patched';

export interface StatusWriteOptions<T> {
  /** Path of the object, e.g. /apis/lanlb.io/v1beta1/loadbalancerippools/p1 (no /status). */
  path: string;
  /** An object already at hand (an informer's copy); saves the first GET. */
  cached?: T;
  attempts?: number;
}

/**
 * `desired` maps the latest object to its whole desired status, or undefined to leave it alone.
 * Keys the current status has and the desired one lacks are removed (merge patch null).
 */
export async function writeStatus<S extends object, T extends WithStatus<S>>(
  http: KubeHttp,
  options: StatusWriteOptions<T>,
  desired: (latest: T) => S | undefined,
): Promise<StatusWriteOutcome> {
  let latest = options.cached ?? (await http.get<T>(options.path));
  for (let attempt = 1; ; attempt++) {
    const want = desired(latest);
    if (want === undefined || isDeepStrictEqual(normalize(latest.status), normalize(want))) return 'unchanged';
    try {
      await http.patch(`${options.path}/status`, {
        metadata: { resourceVersion: latest.metadata?.resourceVersion },
        status: mergePatchOf(latest.status, want),
      });
      return 'patched';
    } catch (err) {
      if (!isConflict(err) || attempt >= (options.attempts ?? 5)) throw err;
      latest = await http.get<T>(options.path);
    }
  }
}

/** The merge patch that turns `current` into `want` at the top level of status. */
export function mergePatchOf(current: object | undefined, want: object): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...want };
  for (const key of Object.keys(current ?? {})) if (!(key in want)) patch[key] = null;
  return patch;
}

/** Drops undefined values so {a: undefined} equals {} as the apiserver would store it. */
function normalize(v: unknown): unknown {
  return v === undefined ? {} : JSON.parse(JSON.stringify(v));
}
