// What should be announced, from the cluster's state (pure): for every Service that a valid
// policy selects and that has addresses, the candidate nodes (ranked), the addresses, and on
// which of this node's interfaces it would answer.
import type { L2AnnouncementPolicy } from '../../../generated/index.js';
import { parseLabelSelector, serviceLabels } from '../../ipam/label-selector.js';
import { parseAddress } from '../../ipam/address.js';
import type { Announced } from '../../l2/codec/bpf-filter.js';
import { rankCandidates } from '../../l2/election/candidates.js';
import { announceIntervalMs, announcedIPs, policyProblem, type PoolOfAddress } from '../../core/policy-selection.js';
import type { Node, Service } from '../../core/kube-objects.js';
import type { EndpointSlice } from '../../core/kube-objects.js';

export interface LinkView {
  name: string;
  up: boolean;
  loopback: boolean;
  /** false when the link has no carrier (cable out, peer down); absent = unknown, taken as true */
  carrier?: boolean;
}

export interface ServicePlan {
  key: string;
  namespace: string;
  name: string;
  addresses: Announced[];
  /** eligible nodes, best first */
  candidates: string[];
  /** this node's interfaces to answer on (up, with carrier), when a policy selects it */
  interfaces: string[];
  /** a policy for this Service selects this node (whether or not it has an interface to answer on) */
  selectsMe: boolean;
  /** re-send gratuitous ARP / unsolicited NA this often while holding (the shortest of its policies') */
  announceIntervalMs?: number;
}

export interface PlanInput {
  me: string;
  policies: readonly L2AnnouncementPolicy[];
  services: readonly Service[];
  nodes: readonly Node[];
  slices: readonly EndpointSlice[];
  links: readonly LinkView[];
  /** the pool each address is held through, for policies with a poolSelector (absent: they announce nothing) */
  poolOf?: PoolOfAddress;
}

export function readyEndpointNodes(slices: readonly EndpointSlice[], namespace: string, name: string): Set<string> {
  const nodes = new Set<string>();
  for (const s of slices) {
    if (s.metadata.namespace !== namespace || s.metadata.labels?.['kubernetes.io/service-name'] !== name) continue;
    for (const e of s.endpoints ?? []) {
      if (e.conditions?.ready === false) continue;
      const node = e.nodeName ?? e.topology?.['kubernetes.io/hostname'];
      if (node) nodes.add(node);
    }
  }
  return nodes;
}

function interfacesFor(p: L2AnnouncementPolicy, links: readonly LinkView[]): string[] {
  const usable = links.filter((l) => l.up && l.carrier !== false && !l.loopback);
  const exprs = (p.spec.interfaces ?? []).map((e) => new RegExp(e));
  return usable.filter((l) => exprs.length === 0 || exprs.some((re) => re.test(l.name))).map((l) => l.name);
}

type ValidPolicy = {
  policy: L2AnnouncementPolicy;
  services: ReturnType<typeof parseLabelSelector>;
  nodes: ReturnType<typeof parseLabelSelector>;
};

export function planAnnouncements(input: PlanInput): ServicePlan[] {
  const valid: ValidPolicy[] = input.policies
    .filter((p) => policyProblem(p) === undefined)
    .map((p) => ({
      policy: p,
      services: parseLabelSelector(p.spec.serviceSelector),
      nodes: parseLabelSelector(p.spec.nodeSelector),
    }));
  return input.services.flatMap((svc) => planService(svc, valid, input) ?? []);
}

/** What every policy that selects the Service says: addresses, candidates, this node's interfaces. */
function selections(svc: Service, valid: readonly ValidPolicy[], input: PlanInput) {
  const ns = svc.metadata.namespace ?? 'default';
  const labels = serviceLabels(ns, svc.metadata.name, svc.metadata.labels);
  const s = {
    addresses: new Map<string, Announced>(),
    candidates: new Set<string>(),
    interfaces: new Set<string>(),
    selectsMe: false,
    interval: undefined as number | undefined,
  };
  const meNode = input.nodes.find((n) => n.metadata.name === input.me);
  for (const v of valid) {
    if (v.services.kind !== 'ok' || v.nodes.kind !== 'ok' || !v.services.selector.matches(labels)) continue;
    const ips = announcedIPs(v.policy, svc, input.poolOf).flatMap((ip) => parseAddress(ip) ?? []);
    if (ips.length === 0) continue;
    for (const a of ips) s.addresses.set(`${a.family}/${a.value}`, { family: a.family, value: a.value });
    const every = announceIntervalMs(v.policy);
    if (every !== undefined) s.interval = Math.min(s.interval ?? every, every);
    const nodeSel = v.nodes.selector;
    for (const n of input.nodes) if (nodeSel.matches(n.metadata.labels ?? {})) s.candidates.add(n.metadata.name);
    if (meNode && nodeSel.matches(meNode.metadata.labels ?? {})) {
      s.selectsMe = true;
      for (const i of interfacesFor(v.policy, input.links)) s.interfaces.add(i);
    }
  }
  return s;
}

function planService(svc: Service, valid: readonly ValidPolicy[], input: PlanInput): ServicePlan | undefined {
  const ns = svc.metadata.namespace ?? 'default';
  const { addresses, candidates, interfaces, selectsMe, interval } = selections(svc, valid, input);
  if (addresses.size === 0) return undefined;
  let eligible = [...candidates];
  if (svc.spec?.externalTrafficPolicy === 'Local') {
    const ready = readyEndpointNodes(input.slices, ns, svc.metadata.name);
    eligible = eligible.filter((n) => ready.has(n));
  }
  // A candidate must be able to answer somewhere: for this node, that means an interface.
  if (interfaces.size === 0) eligible = eligible.filter((n) => n !== input.me);
  return {
    key: `${ns}/${svc.metadata.name}`,
    namespace: ns,
    name: svc.metadata.name,
    addresses: [...addresses.values()],
    candidates: rankCandidates(`${ns}/${svc.metadata.name}`, eligible),
    interfaces: [...interfaces].sort(),
    selectsMe,
    ...(interval === undefined ? {} : { announceIntervalMs: interval }),
  };
}
