// Starting several informers as one: resolves once all have synced, with a promise of their end.
import type { Informer } from './informer.js';
import type { ObjectWithMeta } from './object-key.js';

export async function startInformers(
  informers: Iterable<Informer<ObjectWithMeta>>,
  signal: AbortSignal,
): Promise<{ done: Promise<void> }> {
  const started = [...informers].map((i) => i.start(signal));
  await Promise.all(started.map((s) => s.synced));
  // Wrapped: an async function returning a bare promise would wait for it.
  return { done: Promise.all(started.map((s) => s.done)).then(() => undefined) };
}
