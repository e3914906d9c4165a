// Storage migration after a CRD version upgrade: objects stored as v1alpha1 are rewritten (a
// write through the apiserver stores them in the storage version, v1beta1), then v1alpha1 is
// dropped from the CRD's status.storedVersions, after which v1alpha1 can be removed from the
// CRD. What kube-storage-version-migrator does, for lanlb's two kinds. Idempotent.
import { isConflict, isNotFound } from '../runtime/ports/api-error.js';
import type { KubeHttp } from './http.js';
import { allKinds } from '../../generated/index.js';
import { sleep, type Clock } from '../runtime/clock.js';
import type { ControllerMetrics } from '../controller/metrics.js';
import type { Logger } from '../runtime/ports/logger.js';

interface Crd {
  metadata: { name: string; resourceVersion?: string };
  spec: { versions: Array<{ name: string; storage: boolean }> };
  status?: { storedVersions?: string[] };
}

export interface MigrationOutcome {
  rewritten: number;
  /** CRDs whose storedVersions are now only the storage version */
  crds: string[];
  /** CRDs still stored in an old version, and why */
  failed: Array<{ crd: string; error: unknown }>;
}

/** Migrates each CRD on its own: one that fails (say, a 403) does not stop the other. */
export async function migrateStorage(http: KubeHttp, log: Logger): Promise<MigrationOutcome> {
  const out: MigrationOutcome = { rewritten: 0, crds: [], failed: [] };
  // A kind served in one version only has nothing stored in another (L2Announcement).
  const versions = (k: (typeof allKinds)[number]) => allKinds.filter((o) => o.kind === k.kind).length;
  for (const kind of allKinds.filter((k) => k.storage && versions(k) > 1)) {
    const crdName = `${kind.plural}.${kind.group}`;
    try {
      const n = await migrateKind(http, log, crdName, kind.path);
      if (n !== undefined) {
        out.rewritten += n;
        out.crds.push(crdName);
      }
    } catch (err) {
      out.failed.push({ crd: crdName, error: err });
    }
  }
  return out;
}

/** Objects rewritten, or undefined when nothing was stored in an old version. */
async function migrateKind(http: KubeHttp, log: Logger, crdName: string, path: string): Promise<number | undefined> {
  const crdPath = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crdName}`;
  const crd = await http.get<Crd>(crdPath).catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)));
  const storage = crd?.spec.versions.find((v) => v.storage)?.name;
  const stored = crd?.status?.storedVersions ?? [];
  if (!crd || !storage || stored.every((v) => v === storage)) return undefined;
  const list = await http.get<{ items: Array<{ metadata: { name: string } }> }>(path);
  for (const item of list.items) {
    // Re-read and write back unchanged; a conflict means someone else just rewrote it.
    const fresh = await http.get<object>(`${path}/${item.metadata.name}`).catch(() => undefined);
    if (!fresh) continue;
    await http
      .put(`${path}/${item.metadata.name}`, fresh)
      .catch((err: unknown) => (isConflict(err) || isNotFound(err) ? undefined : Promise.reject(err)));
  }
  const latest = await http.get<Crd>(crdPath);
  await http.put(`${crdPath}/status`, { ...latest, status: { ...latest.status, storedVersions: [storage] } });
  log.info('storage migrated', { crd: crdName, from: stored, to: storage, objects: list.items.length });
  return list.items.length;
}

export interface MigrationRun {
  http: KubeHttp;
  log: Logger;
  clock: Clock;
  metrics: ControllerMetrics;
  /** reports a failure where `kubectl describe crd` shows it (an Event on the CRD) */
  warn(crd: string, message: string): void;
  retryMs?: number;
}

/**
 * Runs the migration while leading, again every minute while a CRD fails: a missing permission
 * shows as an error log and lanlb_storage_migration_pending at once, and as an Event on the CRD
 * once the same failure is met again on the retry, not as a warning line that leaves
 * storedVersions unchanged for ever. The wait keeps a passing failure out of the Events: a replica
 * that becomes leader while `kubectl delete -k` removes its RBAC is refused for the moments
 * before it is stopped itself, and its Event would outlive the uninstall (the cluster e2e test).
 */
export async function keepMigrating(o: MigrationRun, signal: AbortSignal): Promise<void> {
  const reported = new Map<string, string>();
  let previous = new Map<string, string>();
  while (!signal.aborted) {
    const out = await migrateStorage(o.http, o.log);
    const failing = new Map<string, string>();
    for (const crd of out.crds) o.metrics.storageMigration.set({ crd }, 0);
    for (const { crd, error } of out.failed) {
      const message = `storage migration failed, objects stay stored in an old version: ${errorText(error)}`;
      o.metrics.storageMigration.set({ crd }, 1);
      o.log.error('storage migration failed; retrying every minute', { crd, error });
      failing.set(crd, message);
      if (previous.get(crd) === message && reported.get(crd) !== message) {
        o.warn(crd, message);
        reported.set(crd, message);
      }
    }
    previous = failing;
    if (out.failed.length === 0) return;
    await sleep(o.clock, o.retryMs ?? 60_000, signal);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
