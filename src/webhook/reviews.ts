// AdmissionReview (admission.k8s.io/v1) and ConversionReview (apiextensions.k8s.io/v1)
// handling, pure: a parsed request body in, a response body out. Every shape is checked before
// use; a review of the wrong kind, version or shape gets a denial or a Failure with the reason,
// never an exception (a thrown error here once stopped the controller).
import { convert } from '../conversion/convert.js';
import { isLanlbObject, validateObject } from '../validate/validate-objects.js';
import { poolOverlaps, type PoolShape } from '../validate/pool-overlaps.js';

const ADMISSION_V1 = 'admission.k8s.io/v1';
const CONVERSION_V1 = 'apiextensions.k8s.io/v1';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The request's uid when it is a string; anything else is never echoed. */
function uidOf(request: unknown): string {
  return isObject(request) && typeof request.uid === 'string' ? request.uid : '';
}

/** The review's `request` if the envelope is the expected kind and version, or why not. */
function envelope(body: unknown, apiVersion: string, kind: string): { request: Json } | { problem: string } {
  if (!isObject(body)) return { problem: `not a ${apiVersion} ${kind}: the body is not a JSON object` };
  if (body.kind !== kind || body.apiVersion !== apiVersion) {
    return { problem: `not a ${apiVersion} ${kind} (got ${String(body.apiVersion)} ${String(body.kind)})` };
  }
  if (!isObject(body.request)) return { problem: `${kind}: request is missing or not an object` };
  return { request: body.request };
}

/**
 * `existingPools` gives the pools the cluster has (the controller's cache), so that a pool which
 * overlaps one of them is admitted with a warning naming the overlap.
 */
export function admissionResponse(body: unknown, existingPools: () => readonly PoolShape[] = () => []): object {
  const request = isObject(body) ? body.request : undefined;
  const reply = (allowed: boolean, message?: string, warnings: string[] = []) => ({
    apiVersion: ADMISSION_V1,
    kind: 'AdmissionReview',
    response: {
      uid: uidOf(request),
      allowed,
      ...(warnings.length ? { warnings } : {}),
      ...(message ? { status: { code: allowed ? 200 : 422, reason: allowed ? undefined : 'Invalid', message } } : {}),
    },
  });
  const env = envelope(body, ADMISSION_V1, 'AdmissionReview');
  if ('problem' in env) return reply(false, env.problem);
  const object = env.request.object;
  if (!isObject(object)) return reply(false, 'AdmissionReview: request.object is missing or not an object');
  if (!isLanlbObject(object)) return reply(true);
  const problems = validateObject(object);
  if (problems.length === 0) return reply(true, undefined, overlapWarnings(object, existingPools));
  return reply(
    false,
    `${problems[0]?.object} is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
  );
}

function overlapWarnings(
  object: { kind: string; metadata?: { name?: string } },
  existingPools: () => readonly PoolShape[],
): string[] {
  if (object.kind !== 'LoadBalancerIPPool') return [];
  const name = object.metadata?.name ?? '';
  return poolOverlaps(object as PoolShape, existingPools()).map(
    (o) =>
      `LoadBalancerIPPool ${name} overlaps pool ${o.other} at ${o.range}: the newer of the two is Conflicting and ` +
      'makes no new allocations (it keeps what its Services hold)',
  );
}

export function conversionResponse(body: unknown): object {
  const request = isObject(body) ? body.request : undefined;
  const reply = (convertedObjects: unknown[], failure?: string) => ({
    apiVersion: CONVERSION_V1,
    kind: 'ConversionReview',
    response: {
      uid: uidOf(request),
      convertedObjects,
      result: failure === undefined ? { status: 'Success' } : { status: 'Failure', message: failure },
    },
  });
  const env = envelope(body, CONVERSION_V1, 'ConversionReview');
  if ('problem' in env) return reply([], env.problem);
  const { desiredAPIVersion, objects } = env.request;
  if (typeof desiredAPIVersion !== 'string')
    return reply([], 'ConversionReview: request.desiredAPIVersion is not a string');
  if (!Array.isArray(objects)) return reply([], 'ConversionReview: request.objects is not an array');
  const converted: unknown[] = [];
  for (const [i, o] of objects.entries()) {
    const r = convert(o, desiredAPIVersion);
    if (!r.ok) return reply([], `objects[${i}]: ${r.message}`);
    converted.push(r.object);
  }
  return reply(converted);
}
