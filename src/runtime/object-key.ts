// Cache keys as client-go writes them: "namespace/name", or "name" for cluster-scoped objects.

export interface ObjectWithMeta {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export function objectKey(o: ObjectWithMeta): string {
  const ns = o.metadata?.namespace;
  const name = o.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}
