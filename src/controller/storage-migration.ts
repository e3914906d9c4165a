// Storage migration after a CRD version upgrade: objects stored as v1alpha1 are rewritten (a
// write through the apiserver stores them in the storage version, v1beta1), then v1alpha1 is
// dropped from the CRD's status.storedVersions, after which v1alpha1 can be removed from the
// CRD. What kube-storage-version-migrator does, for lanlb's two kinds. Idempotent.
import { isConflict, isNotFound } from '../kube/api-error.js';
import type { KubeHttp } from '../kube/http.js';
import type { Logger } from '../observability/logger.js';
import { allKinds } from '../../generated/index.js';

interface Crd {
  metadata: { name: string; resourceVersion?: string };
  spec: { versions: Array<{ name: string; storage: boolean }> };
  status?: { storedVersions?: string[] };
}

export async function migrateStorage(http: KubeHttp, log: Logger): Promise<{ rewritten: number; crds: string[] }> {
  let rewritten = 0;
  const done: string[] = [];
  const storageKinds = allKinds.filter((k) => k.storage);
  for (const kind of storageKinds) {
    const crdPath = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${kind.plural}.${kind.group}`;
    const crd = await http
      .get<Crd>(crdPath)
      .catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
    const storage = crd?.spec.versions.find((v) => v.storage)?.name;
    const stored = crd?.status?.storedVersions ?? [];
    if (!crd || !storage || stored.every((v) => v === storage)) continue;
    const list = await http.get<{ items: Array<{ metadata: { name: string } }> }>(kind.path);
    for (const item of list.items) {
      // Re-read and write back unchanged; a conflict means someone else just rewrote it.
      const fresh = await http.get<object>(`${kind.path}/${item.metadata.name}`).catch(() => undefined);
      if (!fresh) continue;
      await http
        .put(`${kind.path}/${item.metadata.name}`, fresh)
        .catch((err: unknown) => (isConflict(err) || isNotFound(err) ? undefined : Promise.reject(err)));
      rewritten++;
    }
    const latest = await http.get<Crd>(crdPath);
    await http.put(`${crdPath}/status`, { ...latest, status: { ...latest.status, storedVersions: [storage] } });
    log.info('storage migrated', { crd: crd.metadata.name, from: stored, to: storage, objects: list.items.length });
    done.push(crd.metadata.name);
  }
  return { rewritten, crds: done };
}
