// Which Services and nodes an L2AnnouncementPolicy selects, and whether it is valid (pure):
// one home for the controller (policy status) and the announcer (what to announce).
import type { L2AnnouncementPolicy } from '../../generated/index.js';
import { parseLabelSelector } from '../ipam/label-selector.js';
import type { Service } from './kube-objects.js';

/** The addresses a Service holds, from status.loadBalancer.ingress. */
export function ingressIPs(svc: Service): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
}

export type PolicyProblem = {
  reason: 'InvalidNodeSelector' | 'InvalidServiceSelector' | 'InvalidInterface';
  message: string;
};

export function policyProblem(p: L2AnnouncementPolicy): PolicyProblem | undefined {
  const nodes = parseLabelSelector(p.spec.nodeSelector);
  if (nodes.kind === 'invalid') return { reason: 'InvalidNodeSelector', message: `nodeSelector: ${nodes.message}` };
  const svcs = parseLabelSelector(p.spec.serviceSelector);
  if (svcs.kind === 'invalid') return { reason: 'InvalidServiceSelector', message: `serviceSelector: ${svcs.message}` };
  for (const expr of p.spec.interfaces ?? []) {
    try {
      new RegExp(expr);
    } catch (err) {
      return {
        reason: 'InvalidInterface',
        message: `interfaces: ${JSON.stringify(expr)} is not a valid regular expression: ${(err as Error).message}`,
      };
    }
  }
  return undefined;
}

/** Addresses a policy would announce for a Service. */
export function announcedIPs(p: L2AnnouncementPolicy, svc: Service): string[] {
  const ips: string[] = [];
  if (p.spec.loadBalancerIPs !== false) ips.push(...ingressIPs(svc));
  if (p.spec.externalIPs === true) ips.push(...(svc.spec?.externalIPs ?? []));
  return [...new Set(ips)];
}
