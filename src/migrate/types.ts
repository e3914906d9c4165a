// What a migration produces: lanlb objects, and notes on what could not be carried over.

export interface LanlbManifest {
  apiVersion: 'lanlb.io/v1beta1';
  kind: 'LoadBalancerIPPool' | 'L2AnnouncementPolicy';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

export interface MigrationNote {
  source: string;
  message: string;
}

export interface Migration {
  objects: LanlbManifest[];
  notes: MigrationNote[];
}

export type Selector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
};

export const MIGRATED_FROM = 'lanlb.io/migrated-from';

/**
 * The label `lanlb migrate` puts on a pool that an L2Advertisement names in ipAddressPools, so the
 * migrated policy's poolSelector can select it by name (label selectors cannot see names).
 */
export const POOL_NAME_LABEL = 'lanlb.io/pool-name';
