// Service annotations and names from API.md, in one place.
export const ANNOTATION_IPS = 'lanlb.io/ips';
export const ANNOTATION_POOL = 'lanlb.io/pool';
export const ANNOTATION_SHARING_KEY = 'lanlb.io/sharing-key';
export const ANNOTATION_SHARING_CROSS_NAMESPACE = 'lanlb.io/sharing-cross-namespace';
export const DEFAULT_LOAD_BALANCER_CLASS = 'lanlb.io/l2';
export const CONDITION_IP_ALLOCATED = 'lanlb.io/IPAllocated';
