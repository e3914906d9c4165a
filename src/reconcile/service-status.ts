// A Service's desired status from the allocator's outcome (pure, beside desiredPoolStatus and
// desiredPolicyStatus): status.loadBalancer.ingress and the condition lanlb.io/IPAllocated.
// Everything else in the status (other controllers' conditions) is kept as it is.
import type { AssignOutcome } from '../ipam/allocator.js';
import { CONDITION_IP_ALLOCATED } from './annotations.js';
import { findCondition, setCondition } from './conditions.js';
import type { Condition, Service } from '../core/kube-objects.js';

type ServiceStatus = NonNullable<Service['status']>;

/**
 * `out` undefined: the Service is no longer ours (not LoadBalancer): no addresses and no
 * condition of ours.
 */
export function desiredServiceStatus(
  latest: Service,
  ips: readonly string[],
  out: AssignOutcome | undefined,
  now: string,
): ServiceStatus {
  const status = { ...(latest.status ?? {}) } as ServiceStatus;
  status.loadBalancer = ips.length ? { ingress: ips.map((ip) => ({ ip })) } : {};
  if (out) {
    const condition = { type: CONDITION_IP_ALLOCATED, ...allocatedCondition(out) };
    status.conditions = setCondition(latest.status?.conditions as Condition[] | undefined, condition, now);
  } else if (findCondition(latest.status?.conditions, CONDITION_IP_ALLOCATED)) {
    status.conditions = (latest.status?.conditions ?? []).filter((c) => c.type !== CONDITION_IP_ALLOCATED);
  }
  return status;
}

function allocatedCondition(out: AssignOutcome): { status: 'True' | 'False'; reason: string; message: string } {
  if (out.kind === 'failed') return { status: 'False', reason: out.reason, message: out.message };
  const assigned = out.ips.map((i) => `${i.ip} from pool ${i.pool}`).join(', ');
  const unmet = out.unmetFamilies.length ? `; no ${out.unmetFamilies.join(', ')} address available` : '';
  return { status: 'True', reason: 'Allocated', message: assigned + unmet };
}
