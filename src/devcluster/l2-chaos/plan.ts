// The L2 chaos run's fault plan (issue 29), from a seed: which fault, when, for how long, in what
// order, overlapping in time. Pure: the same seed gives the same plan, so a run that found a
// violation can be replayed. Which node a fault hits is resolved when it starts (the holder of a
// Service then), from the plan's `pick`, so a replay follows the same choices while the cluster's
// state is the same.
import { prng } from '../prng.js';

export const FAULT_KINDS = [
  'kill',
  'stop-short',
  'stop-long',
  'link-down',
  'link-flap',
  'apiserver-freeze',
  'heartbeat-drop',
  'partition',
  'no-net-raw',
  'secret-rotate',
  'secret-gone',
  'cpu-hog',
  'service-create',
  'service-delete',
  'service-readdress',
  'pool-edit',
  'policy-nodes',
  'endpoints-move',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** holder: the node holding a Service (chosen by `pick`); node: any node; cluster: no node */
export type FaultTarget = 'holder' | 'node' | 'cluster';

interface KindSpec {
  weight: number;
  target: FaultTarget;
  /** how long the fault lasts (or, for a kill, until the restart), drawn uniformly */
  durationMs: readonly [number, number];
}

export const KIND_SPECS: Record<FaultKind, KindSpec> = {
  kill: { weight: 10, target: 'holder', durationMs: [1_000, 4_000] },
  // Shorter than the 350 ms silence threshold: nobody may take over.
  'stop-short': { weight: 5, target: 'holder', durationMs: [100, 250] },
  'stop-long': { weight: 6, target: 'holder', durationMs: [1_000, 5_000] },
  'link-down': { weight: 6, target: 'holder', durationMs: [1_000, 4_000] },
  'link-flap': { weight: 4, target: 'holder', durationMs: [1_000, 3_000] },
  'apiserver-freeze': { weight: 2, target: 'cluster', durationMs: [5_000, 60_000] },
  'heartbeat-drop': { weight: 4, target: 'node', durationMs: [5_000, 20_000] },
  partition: { weight: 4, target: 'holder', durationMs: [3_000, 10_000] },
  'no-net-raw': { weight: 2, target: 'node', durationMs: [3_000, 10_000] },
  'secret-rotate': { weight: 2, target: 'cluster', durationMs: [0, 0] },
  // The controller down, the heartbeat key's Secret deleted, one announcer restarted without it.
  'secret-gone': { weight: 2, target: 'node', durationMs: [5_000, 15_000] },
  'cpu-hog': { weight: 3, target: 'node', durationMs: [2_000, 10_000] },
  'service-create': { weight: 4, target: 'cluster', durationMs: [0, 0] },
  'service-delete': { weight: 3, target: 'cluster', durationMs: [0, 0] },
  'service-readdress': { weight: 3, target: 'cluster', durationMs: [0, 0] },
  'pool-edit': { weight: 2, target: 'cluster', durationMs: [2_000, 8_000] },
  // A node left out of a policy's nodeSelector, then put back.
  'policy-nodes': { weight: 3, target: 'node', durationMs: [3_000, 10_000] },
  'endpoints-move': { weight: 5, target: 'cluster', durationMs: [0, 0] },
};

export interface PlannedFault {
  id: number;
  kind: FaultKind;
  /** from the start of the run */
  atMs: number;
  durationMs: number;
  /** in [0, 1): chooses the target (and any variant) when the fault starts */
  pick: number;
}

export interface PlanOptions {
  seed: number;
  runMs: number;
  /** mean time between fault starts */
  meanGapMs: number;
  /** at most this many faults on nodes at once (2 of 5 nodes: a Service keeps a live candidate) */
  maxNodeFaults?: number;
  /** faults start after this (the bed settles first), and none starts in the last `quietEndMs` */
  warmupMs?: number;
  quietEndMs?: number;
}

/** A seeded plan: starts about every `meanGapMs` (exponential gaps), node faults capped at once. */
export function planFaults(o: PlanOptions): PlannedFault[] {
  const rand = prng(o.seed);
  const maxNodeFaults = o.maxNodeFaults ?? 2;
  const endBy = o.runMs - (o.quietEndMs ?? 15_000);
  const out: PlannedFault[] = [];
  let t = o.warmupMs ?? 5_000;
  let frozenUntil = 0;
  for (let id = 1; out.length < 10_000; id++) {
    t += Math.round(-Math.log(1 - rand()) * o.meanGapMs);
    const kind = drawKind(rand());
    const spec = KIND_SPECS[kind];
    const durationMs = Math.round(spec.durationMs[0] + rand() * (spec.durationMs[1] - spec.durationMs[0]));
    const pick = rand();
    let at = t;
    if (spec.target !== 'cluster') at = afterNodeFaults(out, at, maxNodeFaults);
    if (kind === 'apiserver-freeze') at = Math.max(at, frozenUntil + 1_000); // one freeze at a time
    if (at + durationMs > endBy) break;
    if (kind === 'apiserver-freeze') frozenUntil = at + durationMs;
    out.push({ id, kind, atMs: at, durationMs, pick });
  }
  return out.sort((a, b) => a.atMs - b.atMs || a.id - b.id);
}

function drawKind(r: number): FaultKind {
  const total = FAULT_KINDS.reduce((a, k) => a + KIND_SPECS[k].weight, 0);
  let x = r * total;
  for (const k of FAULT_KINDS) {
    x -= KIND_SPECS[k].weight;
    if (x < 0) return k;
  }
  return FAULT_KINDS[FAULT_KINDS.length - 1] as FaultKind;
}

/** The earliest time at or after `at` when fewer than `max` planned node faults are running. */
function afterNodeFaults(planned: readonly PlannedFault[], at: number, max: number): number {
  const onNodes = planned.filter((f) => KIND_SPECS[f.kind].target !== 'cluster');
  for (let guard = 0; guard < 1_000; guard++) {
    const running = onNodes.filter((f) => f.atMs <= at && at < endOf(f));
    if (running.length < max) return at;
    at = Math.min(...running.map(endOf));
  }
  return at;
}

/** When a planned fault is over, counting a kill's restart and a little time to settle. */
export const endOf = (f: PlannedFault): number => f.atMs + f.durationMs + 1_000;
