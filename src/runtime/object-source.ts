// What an application reads of a kind of object: a cache with change notifications. The
// Informer is the Kubernetes adapter; unit tests use an in-memory source.

export interface ObjectHandler<T> {
  add?(obj: T): void;
  update?(obj: T, old: T): void;
  delete?(obj: T): void;
}

export interface ObjectSource<T> {
  readonly hasSynced: boolean;
  get(key: string): T | undefined;
  list(): T[];
  keys(): string[];
  addHandler(handler: ObjectHandler<T>): void;
}
