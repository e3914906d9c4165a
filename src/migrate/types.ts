// What a migration produces: lanlb objects, and notes on what could not be carried over.

export interface LanlbManifest {
  apiVersion: 'lanlb.io/v1beta1';
  kind: 'LoadBalancerIPPool' | 'L2AnnouncementPolicy';
  metadata: { name: string; annotations?: Record<string, string> };
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
