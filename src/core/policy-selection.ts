// Which Services and nodes an L2AnnouncementPolicy selects, and whether it is valid (pure):
// one home for the controller (policy status) and the announcer (what to announce).
import type { L2AnnouncementPolicy } from '../../generated/index.js';
import { parseLabelSelector } from '../ipam/label-selector.js';
import type { Service } from './kube-objects.js';
import { parseDurationMs } from './duration.js';

/** spec.announceInterval's bounds: often enough to matter, seldom enough not to flood. */
export const ANNOUNCE_INTERVAL_MS = { min: 1_000, max: 3_600_000 };

/** The addresses a Service holds, from status.loadBalancer.ingress. */
export function ingressIPs(svc: Service): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
}

export type PolicyProblem = {
  reason: 'InvalidNodeSelector' | 'InvalidServiceSelector' | 'InvalidInterface' | 'InvalidAnnounceInterval';
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
  const interval = announceIntervalProblem(p.spec.announceInterval);
  return interval && { ...interval, message: `announceInterval: ${interval.message}` };
}

/** Why spec.announceInterval is refused (the message names the value, not the field), if it is. */
export function announceIntervalProblem(text: string | undefined): PolicyProblem | undefined {
  if (text === undefined) return undefined;
  const ms = parseDurationMs(text);
  if (ms !== undefined && ms >= ANNOUNCE_INTERVAL_MS.min && ms <= ANNOUNCE_INTERVAL_MS.max) return undefined;
  const message = `${JSON.stringify(text)} is not a duration between 1s and 1h, such as 30s`;
  return { reason: 'InvalidAnnounceInterval', message };
}

/** spec.announceInterval in ms, when the policy sets a valid one. */
export function announceIntervalMs(p: L2AnnouncementPolicy): number | undefined {
  const text = p.spec.announceInterval;
  return text === undefined || announceIntervalProblem(text) ? undefined : parseDurationMs(text);
}

/** Addresses a policy would announce for a Service. */
export function announcedIPs(p: L2AnnouncementPolicy, svc: Service): string[] {
  const ips: string[] = [];
  if (p.spec.loadBalancerIPs !== false) ips.push(...ingressIPs(svc));
  if (p.spec.externalIPs === true) ips.push(...(svc.spec?.externalIPs ?? []));
  return [...new Set(ips)];
}
