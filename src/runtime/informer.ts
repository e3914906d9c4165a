// An informer-backed cache: list, then watch from the list's resourceVersion. It never dies:
// - a watch that ends normally (server timeout) resumes from the last resourceVersion seen;
// - a watch ERROR event or HTTP error of 410 Gone (resourceVersion compacted) re-lists, and the
//   re-list is diffed against the cache so handlers see adds, updates and deletes they missed;
// - any other error (apiserver down, connection reset) backs off exponentially and resumes.
import { statusCodeOf } from './ports/api-error.js';
import { KeyedBackoff } from './backoff.js';
import { sleep, systemClock, type Clock } from './clock.js';
import { objectKey, type ObjectWithMeta } from './object-key.js';

import type { ObjectHandler, ObjectSource } from './object-source.js';

/** Query parameters of a list or watch request. */
export type Query = Record<string, string | number | boolean | undefined>;

/**
 * What an informer needs of Kubernetes: a list and a watch (decision 0001: the runtime talks to
 * a port; KubeHttp is the adapter that has it).
 */
export interface ListWatchTransport {
  get<T>(path: string, query?: Query): Promise<T>;
  watch(
    path: string,
    query: Query,
    onEvent: (type: string, obj: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }>;
}

export interface InformerOptions {
  /** Collection path for list and watch, e.g. /api/v1/services. */
  path: string;
  query?: Query;
  clock?: Clock;
  /** Server-side watch timeout; the watch is then resumed from the last resourceVersion. */
  watchTimeoutSeconds?: number;
  pageSize?: number;
  /**
   * What the cache keeps of each object, applied on arrival (list and watch): the fields decisions
   * read, never the full JSON. Handlers and list() see the kept shape.
   */
  transform?: (obj: never) => unknown;
  /** 'handler': a handler threw (the cache carried on); 'list' | 'watch': a request failed. */
  onError?(err: unknown, phase: 'list' | 'watch' | 'handler'): void;
}

interface ListBody<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

type WatchEvent = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export class Informer<T extends ObjectWithMeta> implements ObjectSource<T> {
  /** key -> latest object seen */
  private readonly store = new Map<string, T>();
  private readonly handlers: ObjectHandler<T>[] = [];
  private readonly backoff = new KeyedBackoff<'retry'>({ baseMs: 100, maxMs: 5_000 });
  private readonly clock: Clock;
  private resourceVersion = '';
  private synced = false;
  /** how many times the cache re-listed (first list included): for tests and metrics */
  lists = 0;

  constructor(
    private readonly http: ListWatchTransport,
    private readonly options: InformerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  addHandler(handler: ObjectHandler<T>): void {
    this.handlers.push(handler);
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  keys(): string[] {
    return [...this.store.keys()];
  }

  /**
   * Runs until `signal` aborts. The returned promise resolves once the first list is in the
   * cache; `done` resolves when the informer has stopped.
   */
  start(signal: AbortSignal): { synced: Promise<void>; done: Promise<void> } {
    let markSynced: () => void = () => {};
    const synced = new Promise<void>((r) => (markSynced = r));
    const done = this.run(signal, () => markSynced());
    return { synced, done };
  }

  private async run(signal: AbortSignal, onSynced: () => void): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          if (!this.synced) {
            this.synced = true;
            onSynced();
          }
        }
        const outcome = await this.watchOnce(signal);
        if (outcome === 'gone') needList = true;
        this.backoff.forget('retry');
      } catch (err) {
        if (signal.aborted) break;
        if (statusCodeOf(err) === 410) needList = true;
        this.options.onError?.(err, needList ? 'list' : 'watch');
        await sleep(this.clock, this.backoff.next('retry'), signal);
      }
    }
  }

  private async relist(): Promise<void> {
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.http.get<ListBody<T>>(this.options.path, {
        ...this.options.query,
        limit: this.options.pageSize ?? 500,
        continue: cont,
      });
      for (const item of page.items ?? []) fresh.set(objectKey(item), this.keep(item));
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? rv;
    } while (cont);
    this.lists++;
    this.replace(fresh);
    this.resourceVersion = rv;
  }

  /** Swaps the cache for a fresh list, telling handlers what changed in between. */
  private replace(fresh: Map<string, T>): void {
    const old = new Map(this.store);
    this.store.clear();
    for (const [key, obj] of fresh) this.store.set(key, obj);
    for (const [key, obj] of fresh) {
      const before = old.get(key);
      if (!before) this.emit('add', obj);
      else if (before.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('update', obj, before);
    }
    for (const [key, obj] of old) if (!fresh.has(key)) this.emit('delete', obj);
  }

  /** One watch connection; resolves 'closed' when it ends normally, 'gone' when a re-list is due. */
  private watchOnce(signal: AbortSignal): Promise<'closed' | 'gone'> {
    return new Promise((resolve, reject) => {
      let gone = false;
      const onEvent = (type: string, obj: unknown): void => {
        if (type === 'ERROR') {
          const code = (obj as { code?: number }).code;
          if (code === 410) gone = true;
          else
            reject(
              Object.assign(
                new Error(`watch ${this.options.path}: ${(obj as { message?: string }).message ?? 'error'}`),
                { statusCode: code },
              ),
            );
          abort?.abort();
          return;
        }
        this.apply(type as WatchEvent, obj as T);
      };
      const onDone = (err: unknown): void => {
        signal.removeEventListener('abort', stop);
        if (err && !signal.aborted && !isAbortError(err)) reject(err);
        else resolve(gone ? 'gone' : 'closed');
      };
      let abort: { abort(): void } | undefined;
      const stop = (): void => abort?.abort();
      signal.addEventListener('abort', stop, { once: true });
      this.http
        .watch(
          this.options.path,
          {
            ...this.options.query,
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: this.options.watchTimeoutSeconds ?? 240 + Math.floor(Math.random() * 60),
          },
          onEvent,
          onDone,
        )
        .then((c) => {
          abort = c;
          if (signal.aborted) c.abort();
        }, reject);
    });
  }

  private keep(obj: T): T {
    const t = this.options.transform as ((o: T) => T) | undefined;
    return t ? t(obj) : obj;
  }

  private apply(type: WatchEvent, raw: T): void {
    const rv = raw.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (type === 'BOOKMARK') return;
    const obj = this.keep(raw);
    const key = objectKey(obj);
    const before = this.store.get(key);
    if (type === 'DELETED') {
      this.store.delete(key);
      this.emit('delete', obj);
    } else {
      this.store.set(key, obj);
      if (before) this.emit('update', obj, before);
      else this.emit('add', obj);
    }
  }

  private emit(kind: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    for (const h of this.handlers) {
      // A throwing handler must not stop the cache (client-node's Watch would swallow it silently).
      try {
        if (kind === 'add') h.add?.(obj);
        else if (kind === 'update') h.update?.(obj, old as T);
        else h.delete?.(obj);
      } catch (err) {
        this.options.onError?.(err, 'handler');
      }
    }
  }
}

function isAbortError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: string }).name === 'AbortError';
}
