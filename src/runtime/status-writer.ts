// Writes an object's status through the /status subresource: compute from the latest object,
// write only when something changed, and retry on 409 Conflict with a fresh read (the
// resourceVersion in the patch makes the write optimistic).
import { isConflict } from './ports/api-error.js';
import type { StatusTransport } from './ports/status-transport.js';
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
  http: StatusTransport,
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

/**
 * The JSON merge patch (RFC 7386) that turns `current` into `want`: objects are diffed key by
 * key, a key `want` lacks becomes null, arrays and scalars are replaced whole.
 */
export function mergePatchOf(current: unknown, want: object): Record<string, unknown> {
  const cur = isPlainObject(current) ? current : {};
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(want)) {
    if (value === undefined) continue;
    const before = cur[key];
    if (isPlainObject(value) && isPlainObject(before)) patch[key] = mergePatchOf(before, value);
    else patch[key] = value;
  }
  for (const key of Object.keys(cur))
    if (!(key in want) || (want as Record<string, unknown>)[key] === undefined) patch[key] = null;
  return patch;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Drops undefined values so {a: undefined} equals {} as the apiserver would store it. */
function normalize(v: unknown): unknown {
  return v === undefined ? {} : JSON.parse(JSON.stringify(v));
}
