// The CRDs as first published (docs/contract.md, "Versions"): v1alpha1 only, stored as v1alpha1, no
// conversion. Derived from the current CRDs, whose v1alpha1 schema is kept unchanged.
import { customResourceDefinitions } from '../../generated/crds.js';

export function firstPublishedCrds(): object[] {
  // Kinds added later (L2Announcement) have no v1alpha1: they were not published then.
  const first = customResourceDefinitions.filter((c) => c.spec.versions.some((v) => v.name === 'v1alpha1'));
  return first.map((c) => {
    const crd = JSON.parse(JSON.stringify(c)) as {
      spec: { versions: Array<Record<string, unknown>>; conversion?: unknown };
    };
    crd.spec.versions = crd.spec.versions
      .filter((v) => v.name === 'v1alpha1')
      .map((v) => ({ ...v, storage: true, deprecated: false, deprecationWarning: undefined }));
    delete crd.spec.conversion;
    return crd;
  });
}
