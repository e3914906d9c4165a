// AdmissionReview and ConversionReview (both apiextensions/admission v1) handling, pure: a
// request body in, a response body out. The apiserver is never told "500" for bad input:
// unparseable reviews get a clear denial or failure message.
import { convert } from '../conversion/convert.js';
import { isLanlbObject, validateObject } from '../validate/validate-objects.js';

interface Review {
  apiVersion?: string;
  kind?: string;
  request?: { uid?: string; object?: unknown; desiredAPIVersion?: string; objects?: unknown[]; operation?: string };
}

export function admissionResponse(body: unknown): object {
  const review = (body ?? {}) as Review;
  const uid = review.request?.uid ?? '';
  const object = review.request?.object;
  const reply = (allowed: boolean, message?: string) => ({
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    response: { uid, allowed, ...(message ? { status: { code: allowed ? 200 : 422, reason: allowed ? undefined : 'Invalid', message } } : {}) },
  });
  if (review.kind !== 'AdmissionReview' || !review.request) return reply(false, 'not an admission.k8s.io/v1 AdmissionReview');
  if (!isLanlbObject(object)) return reply(true);
  const problems = validateObject(object);
  if (problems.length === 0) return reply(true);
  return reply(false, `${problems[0]?.object} is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
}

export function conversionResponse(body: unknown): object {
  const review = (body ?? {}) as Review;
  const uid = review.request?.uid ?? '';
  const desired = review.request?.desiredAPIVersion ?? '';
  const converted: unknown[] = [];
  for (const o of review.request?.objects ?? []) {
    const r = convert(o as never, desired);
    if (!r.ok) {
      return { apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response: { uid, convertedObjects: [], result: { status: 'Failure', message: r.message } } };
    }
    converted.push(r.object);
  }
  return { apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response: { uid, convertedObjects: converted, result: { status: 'Success' } } };
}
