// An L2AnnouncementPolicy's status: how many nodes and Services it selects, and whether its
// selectors and interface expressions are valid (docs/contract.md). Kept here so `kubectl get l2p` is true
// before any announcer runs.
import type { L2AnnouncementPolicy, L2AnnouncementPolicyStatus } from '../../generated/index.js';
import { parseLabelSelector, serviceLabels } from '../ipam/label-selector.js';
import { setCondition } from './conditions.js';
import type { Condition, Node, Service } from '../core/kube-objects.js';
import { announcedIPs, policyProblem, type PoolOfAddress } from '../core/policy-selection.js';

export function desiredPolicyStatus(
  p: L2AnnouncementPolicy,
  nodes: readonly Node[],
  services: readonly Service[],
  now: string,
  poolOf?: PoolOfAddress,
): L2AnnouncementPolicyStatus {
  const problem = policyProblem(p);
  const nodeSel = parseLabelSelector(p.spec.nodeSelector);
  const svcSel = parseLabelSelector(p.spec.serviceSelector);
  const selectedNodes =
    nodeSel.kind === 'ok' ? nodes.filter((n) => nodeSel.selector.matches(n.metadata.labels ?? {})).length : 0;
  const selectedServices =
    svcSel.kind === 'ok'
      ? services.filter(
          (s) =>
            svcSel.selector.matches(
              serviceLabels(s.metadata.namespace ?? 'default', s.metadata.name, s.metadata.labels),
            ) && announcedIPs(p, s, poolOf).length > 0,
        ).length
      : 0;
  const gen = p.metadata.generation;
  const ready = problem
    ? { status: 'False' as const, ...problem }
    : {
        status: 'True' as const,
        reason: 'Valid',
        message: `selects ${selectedNodes} node(s) and ${selectedServices} Service(s) with addresses`,
      };
  return {
    ...(gen !== undefined ? { observedGeneration: gen } : {}),
    selectedNodes,
    selectedServices,
    conditions: setCondition(
      (p.status?.conditions ?? []) as Condition[],
      { type: 'Ready', observedGeneration: gen, ...ready },
      now,
    ),
  };
}
