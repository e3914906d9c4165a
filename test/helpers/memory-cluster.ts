// An in-memory stand-in for what the applications read and write of Kubernetes: object sources
// with change notifications (as informers give), and a status transport that applies merge
// patches with the apiserver's optimistic-concurrency rule and echoes them to the sources as a
// watch would. Every write is recorded, so tests can say "wrote nothing".
import { KubeApiError } from '../../src/runtime/ports/api-error.js';
import type { ObjectHandler, ObjectSource } from '../../src/runtime/object-source.js';
import { objectKey, type ObjectWithMeta } from '../../src/runtime/object-key.js';
import type { Service } from '../../src/core/kube-objects.js';
import type { StatusTransport } from '../../src/runtime/ports/status-transport.js';
import type { EventRecorder, Subject } from '../../src/runtime/ports/event-recorder.js';

type Meta = { metadata: { name?: string; namespace?: string; resourceVersion?: string; generation?: number } };

export class MemorySource<T extends ObjectWithMeta & Meta> implements ObjectSource<T> {
  readonly hasSynced = true;
  private readonly objects = new Map<string, T>();
  private readonly handlers: Array<ObjectHandler<T>> = [];
  private rv = 0;

  get(key: string): T | undefined {
    return this.objects.get(key);
  }
  list(): T[] {
    return [...this.objects.values()];
  }
  keys(): string[] {
    return [...this.objects.keys()];
  }
  addHandler(handler: ObjectHandler<T>): void {
    this.handlers.push(handler);
  }

  /** Creates or replaces an object (a user's write); bumps generation when the spec changed. */
  put(obj: T): T {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    const specChanged =
      JSON.stringify((old as { spec?: unknown } | undefined)?.spec) !==
      JSON.stringify((obj as { spec?: unknown }).spec);
    const generation = (old?.metadata.generation ?? 0) + (specChanged || !old ? 1 : 0);
    const stored = structuredClone({
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: String(++this.rv), generation },
    });
    this.objects.set(key, stored);
    for (const h of this.handlers) {
      if (old) h.update?.(stored, old);
      else h.add?.(stored);
    }
    return stored;
  }

  /** Stores an object exactly as given (a watch event from another store), telling handlers. */
  observe(obj: T): void {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    const stored = structuredClone(obj);
    this.objects.set(key, stored);
    for (const h of this.handlers) {
      if (old) h.update?.(stored, old);
      else h.add?.(stored);
    }
  }

  remove(key: string): void {
    const old = this.objects.get(key);
    if (!old) return;
    this.objects.delete(key);
    for (const h of this.handlers) h.delete?.(old);
  }

  /** A status write as the apiserver applies it: resourceVersion checked, spec and generation kept. */
  patchStatus(key: string, resourceVersion: string | undefined, status: unknown): T {
    const old = this.objects.get(key);
    if (!old) throw new KubeApiError(404, 'NotFound', `${key} not found`);
    if (resourceVersion !== undefined && resourceVersion !== old.metadata.resourceVersion) {
      throw new KubeApiError(409, 'Conflict', `${key} has been modified`);
    }
    const merged = mergePatch((old as { status?: unknown }).status, status);
    const stored = structuredClone({
      ...old,
      status: merged,
      metadata: { ...old.metadata, resourceVersion: String(++this.rv) },
    });
    this.objects.set(key, stored);
    for (const h of this.handlers) h.update?.(stored, old);
    return stored;
  }
}

/** RFC 7386: objects merge key by key, null deletes, everything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Routes status paths to sources: `/api/v1/namespaces/NS/services/NAME` and `.../KIND/NAME`. */
export class MemoryStatusTransport implements StatusTransport {
  readonly writes: Array<{ path: string; body: unknown }> = [];
  constructor(private readonly byResource: Record<string, MemorySource<never>>) {}

  private route(path: string): { source: MemorySource<never>; key: string } {
    const parts = path
      .replace(/\/status$/, '')
      .split('/')
      .filter(Boolean);
    const name = parts.at(-1) ?? '';
    const resource = parts.at(-2) ?? '';
    const nsAt = parts.indexOf('namespaces');
    const key = nsAt >= 0 && nsAt < parts.length - 2 ? `${parts[nsAt + 1]}/${name}` : name;
    const source = this.byResource[resource];
    if (!source) throw new Error(`no memory source for ${path}`);
    return { source, key };
  }

  get = async <T>(path: string): Promise<T> => {
    const { source, key } = this.route(path);
    const obj = source.get(key);
    if (!obj) throw new KubeApiError(404, 'NotFound', `${path} not found`);
    return structuredClone(obj) as T;
  };

  patch = async <T>(path: string, body: unknown): Promise<T> => {
    this.writes.push({ path, body });
    const { source, key } = this.route(path);
    const b = body as { metadata?: { resourceVersion?: string }; status?: unknown };
    return source.patchStatus(key, b.metadata?.resourceVersion, b.status) as T;
  };
}

export interface RecordedEvent {
  service: string;
  type: string;
  reason: string;
  message: string;
}

export class RecordingEvents implements EventRecorder {
  readonly events: RecordedEvent[] = [];
  record(svc: Service, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ service: `${svc.metadata.namespace}/${svc.metadata.name}`, type, reason, message });
  }
  recordOn(subject: Subject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ service: `${subject.kind.toLowerCase()}/${subject.name}`, type, reason, message });
  }
  reasons(service: string): string[] {
    return this.events.filter((e) => e.service === service).map((e) => e.reason);
  }
}
