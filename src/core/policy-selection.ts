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
  reason:
    | 'InvalidNodeSelector'
    | 'InvalidServiceSelector'
    | 'InvalidPoolSelector'
    | 'InvalidInterface'
    | 'InvalidAnnounceInterval';
  message: string;
};

/** The pool a Service ("namespace/name") holds an address through, with its labels; undefined: none. */
export type PoolOfAddress = (
  serviceKey: string,
  ip: string,
) => { name: string; labels: Readonly<Record<string, string>> } | undefined;

export function policyProblem(p: L2AnnouncementPolicy): PolicyProblem | undefined {
  const nodes = parseLabelSelector(p.spec.nodeSelector);
  if (nodes.kind === 'invalid') return { reason: 'InvalidNodeSelector', message: `nodeSelector: ${nodes.message}` };
  const svcs = parseLabelSelector(p.spec.serviceSelector);
  if (svcs.kind === 'invalid') return { reason: 'InvalidServiceSelector', message: `serviceSelector: ${svcs.message}` };
  const pools = parseLabelSelector(p.spec.poolSelector);
  if (pools.kind === 'invalid') return { reason: 'InvalidPoolSelector', message: `poolSelector: ${pools.message}` };
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

/** The policy sets a poolSelector: it announces only addresses held through a pool that matches. */
export function selectsByPool(p: L2AnnouncementPolicy): boolean {
  return p.spec.poolSelector !== undefined && p.spec.poolSelector !== null;
}

/**
 * Addresses a policy would announce for a Service. With a poolSelector, only those held through a
 * selected pool (so an address in spec.externalIPs, held through no pool, is not announced by such
 * a policy); without `poolOf` (pools unknown) such a policy announces nothing rather than guess.
 */
export function announcedIPs(p: L2AnnouncementPolicy, svc: Service, poolOf?: PoolOfAddress): string[] {
  const ips: string[] = [];
  if (p.spec.loadBalancerIPs !== false) ips.push(...ingressIPs(svc));
  if (p.spec.externalIPs === true) ips.push(...(svc.spec?.externalIPs ?? []));
  const unique = [...new Set(ips)];
  if (!selectsByPool(p)) return unique;
  const sel = parseLabelSelector(p.spec.poolSelector);
  if (sel.kind !== 'ok' || !poolOf) return [];
  const key = `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`;
  return unique.filter((ip) => {
    const pool = poolOf(key, ip);
    return pool !== undefined && sel.selector.matches(pool.labels);
  });
}
