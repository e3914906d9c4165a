// What an L2 chaos run must show (issue 29), checked over what it recorded: the client's probe
// rounds (which MACs answered each VIP), the faults with their windows, the Services' addresses
// over time and the Service Leases' holders. Pure: unit-tested on made-up timelines, including a
// holder that keeps answering after its Lease was taken.
//
// Each bound comes from the row of docs/l2-design.md's fault table for that fault:
//   holder crash, SIGSTOP beyond 350 ms, link down, partition, a node left out, endpoints gone,
//   restart without NET_RAW:  dark <= 0.7 s + write -> 1.5 s from the fault's start here;
//   a pause shorter than the silence threshold, a link flap, CPU hog: dark only while it lasts;
//   apiserver frozen: 0 alone; a takeover that needs a write waits for the thaw: its end + 1.5 s;
//   heartbeats filtered or the key missing, and then a holder crash: <= 10 s + 0.15 s + write.
import type { FaultKind } from './plan.js';

export interface ProbeRound {
  /** ms, wall clock */
  t: number;
  /** VIP -> MACs that answered it in this round */
  answers: Record<string, string[]>;
}

export interface FaultWindow {
  id: number;
  kind: FaultKind;
  node?: string;
  start: number;
  /** when it was undone (a restart, a link up, a thaw); the start for instant faults */
  end: number;
  /**
   * when the API write that makes it happen was accepted (faults made through the apiserver: a
   * frozen one delays them to its thaw); the start when absent
   */
  appliedAt?: number;
  /** the one Service a fault concerns (endpoints moved), if any */
  service?: string;
  detail?: string;
}

/** An address belonging to a Service over [from, to) (its status), as the recorder saw it. */
export interface AddressLife {
  vip: string;
  service: string;
  from: number;
  to?: number;
}

export interface HolderChange {
  t: number;
  service: string;
  holder: string | undefined;
}

export interface Recording {
  rounds: ProbeRound[];
  faults: FaultWindow[];
  addresses: AddressLife[];
  holders: HolderChange[];
  /** Service Lease writes seen by the watch: time and Service */
  leaseWrites: Array<{ t: number; service: string }>;
  macToNode: Record<string, string>;
  nodes: number;
  end: number;
}

export interface Violation {
  invariant: 'dark' | 'two-macs' | 'released-answered' | 'not-holder' | 'not-announced' | 'lease-writes' | 'process';
  t: number;
  vip?: string;
  detail: string;
}

export const BOUNDS = {
  /** a lost probe or a late answer without any fault */
  noiseMs: 300,
  /** takeover after a crash-like fault: 0.35 + 0.1 + 0.15 + 0.1 s + write, with margin */
  takeoverMs: 1_500,
  /** takeover when the wire cannot tell (heartbeats filtered, key missing): audit 10 s + 1 s + probes */
  auditTakeoverMs: 12_000,
  /** a new address answered after it appears in the Service's status */
  announceMs: 5_000,
  /** a released address silent after it leaves the status */
  releaseMs: 2_000,
  /** an answer from a node that was not the holder this recently (watch latency) */
  holderLagMs: 2_000,
  /** two MACs around a partition's heal: the old holder withdraws on the watch */
  healMs: 2_000,
  /** the probe period */
  probeMs: 50,
  /** an announcer reads the heartbeat key's Secret this often (kube/secret-key-source.ts), + 2 s */
  keyRefreshMs: 32_000,
} as const;

const CRASH_LIKE = new Set<FaultKind>([
  'kill',
  'stop-long',
  'link-down',
  'partition',
  'no-net-raw',
  'policy-nodes',
  'endpoints-move',
  'secret-gone',
]);
const WHILE_IT_LASTS = new Set<FaultKind>(['stop-short', 'link-flap', 'cpu-hog']);
/**
 * Until when the wire cannot tell a crash from a filter: heartbeats dropped, or announcers with
 * different keys (a new Secret is read within its 30 s refresh, or 2 s after none).
 */
export function blindUntil(f: FaultWindow): number | undefined {
  if (f.kind === 'heartbeat-drop') return f.end;
  if (f.kind === 'secret-rotate' || f.kind === 'secret-gone') return f.end + BOUNDS.keyRefreshMs;
  return undefined;
}

/** Until when a dark run that overlaps `f` is explained by it. */
export function explainedUntil(f: FaultWindow, all: readonly FaultWindow[]): number {
  if (f.kind === 'apiserver-freeze') return f.end + BOUNDS.takeoverMs;
  if (WHILE_IT_LASTS.has(f.kind)) return Math.max(f.end, f.start) + BOUNDS.takeoverMs;
  const at = f.appliedAt ?? f.start;
  if (!CRASH_LIKE.has(f.kind)) return at + BOUNDS.noiseMs;
  const blind = all.some((b) => b.start <= at && at <= (blindUntil(b) ?? -Infinity) + BOUNDS.takeoverMs);
  return at + (blind ? BOUNDS.auditTakeoverMs : BOUNDS.takeoverMs);
}

interface Run {
  s: number;
  e: number;
}

interface Context {
  rec: Recording;
  violations: Violation[];
  /** per fault id: the worst dark run it explains, and its two-MAC time */
  dark: Map<number, number>;
  twoMacs: Map<number, number>;
}

/** Every invariant over a recording: violations, and per fault its dark and two-MAC time. */
export function checkRecording(rec: Recording): {
  violations: Violation[];
  dark: Map<number, number>;
  twoMacs: Map<number, number>;
} {
  const ctx: Context = { rec, violations: [], dark: new Map(), twoMacs: new Map() };
  const rounds = [...rec.rounds].sort((a, b) => a.t - b.t);
  for (const life of rec.addresses) checkDark(ctx, life, rounds);
  checkTwoMacs(ctx, rounds);
  checkAnswerers(ctx, rounds);
  checkLeaseWrites(ctx);
  return ctx;
}

/** The holder of `service` at `t` (the last change at or before it). */
export function holderAt(holders: readonly HolderChange[], service: string, t: number): string | undefined {
  let h: string | undefined;
  for (const c of holders) if (c.service === service && c.t <= t) h = c.holder;
  return h;
}

function checkDark(ctx: Context, life: AddressLife, rounds: readonly ProbeRound[]): void {
  const until = life.to ?? ctx.rec.end;
  const mine = rounds.filter((r) => r.t >= life.from && r.t < until);
  const first = mine.findIndex((r) => (r.answers[life.vip]?.length ?? 0) > 0);
  // An address assigned before the recording began is judged from its first answer on.
  const fresh = life.from >= (rounds[0]?.t ?? Infinity);
  if (first < 0 || (fresh && (mine[first]?.t ?? Infinity) > life.from + BOUNDS.announceMs)) {
    if (until - life.from > BOUNDS.announceMs + 1_000 && !frozenDuring(ctx.rec, life.from, until)) {
      ctx.violations.push({
        invariant: 'not-announced',
        t: life.from,
        vip: life.vip,
        detail: `${life.service}: ${life.vip} not answered within ${BOUNDS.announceMs} ms of its assignment`,
      });
    }
    if (first < 0) return;
  }
  for (const run of unansweredRuns(mine.slice(first), life.vip, until)) judgeDark(ctx, life, run);
}

function unansweredRuns(rounds: readonly ProbeRound[], vip: string, until: number): Run[] {
  const runs: Run[] = [];
  let s: number | undefined;
  for (const r of rounds) {
    const answered = (r.answers[vip]?.length ?? 0) > 0;
    if (!answered && s === undefined) s = r.t;
    if (answered && s !== undefined) {
      runs.push({ s, e: r.t });
      s = undefined;
    }
  }
  if (s !== undefined) runs.push({ s, e: until });
  return runs;
}

function frozenDuring(rec: Recording, from: number, to: number): boolean {
  return rec.faults.some((f) => f.kind === 'apiserver-freeze' && f.start <= to && f.end >= from);
}

/** Faults that can explain darkness of `service` over `run`: by time, node and Service. */
function explaining(rec: Recording, service: string, run: Run): FaultWindow[] {
  const holder = holderAt(rec.holders, service, run.s - 1);
  const near = rec.faults.filter(
    (f) =>
      f.start <= run.e &&
      explainedUntil(f, rec.faults) >= run.s &&
      (f.service === undefined || f.service === service) &&
      (f.node === undefined || f.node === holder || f.kind === 'apiserver-freeze'),
  );
  // A frozen apiserver alone darkens nothing: it explains only a takeover it delayed.
  const others = near.filter((f) => f.kind !== 'apiserver-freeze');
  return others.length ? near : [];
}

function judgeDark(ctx: Context, life: AddressLife, run: Run): void {
  const length = run.e - run.s;
  if (length <= BOUNDS.noiseMs) return;
  const faults = explaining(ctx.rec, life.service, run);
  let cause: FaultWindow | undefined;
  for (const f of faults) {
    if (!cause || explainedUntil(f, ctx.rec.faults) > explainedUntil(cause, ctx.rec.faults)) cause = f;
  }
  const allowed = cause ? explainedUntil(cause, ctx.rec.faults) : run.s + BOUNDS.noiseMs;
  if (cause) ctx.dark.set(cause.id, Math.max(ctx.dark.get(cause.id) ?? 0, length));
  if (run.e > allowed + 2 * BOUNDS.probeMs) {
    ctx.violations.push({
      invariant: 'dark',
      t: run.s,
      vip: life.vip,
      detail:
        `${life.service}: ${life.vip} dark ${length} ms; ` +
        (cause ? `bound for ${cause.kind} #${cause.id}: until ${allowed - run.s} ms` : 'no fault explains it'),
    });
  }
}

function checkTwoMacs(ctx: Context, rounds: readonly ProbeRound[]): void {
  const open = new Map<string, Run & { macs: Set<string> }>();
  for (const r of rounds) {
    for (const [vip, macs] of Object.entries(r.answers)) {
      if (new Set(macs).size < 2) continue;
      const run = open.get(vip);
      if (run && run.e >= r.t - 3 * BOUNDS.probeMs) {
        run.e = r.t;
        for (const m of macs) run.macs.add(m);
      } else {
        if (run) judgeTwoMacs(ctx, vip, run);
        open.set(vip, { s: r.t, e: r.t, macs: new Set(macs) });
      }
    }
  }
  for (const [vip, run] of open) judgeTwoMacs(ctx, vip, run);
}

function judgeTwoMacs(ctx: Context, vip: string, run: Run & { macs: Set<string> }): void {
  const length = run.e - run.s + BOUNDS.probeMs;
  const near = ctx.rec.faults.filter((f) => f.start <= run.e && f.end + BOUNDS.healMs >= run.s);
  const partition = near.find((f) => f.kind === 'partition');
  const cause = partition ?? near[near.length - 1];
  if (cause) ctx.twoMacs.set(cause.id, (ctx.twoMacs.get(cause.id) ?? 0) + length);
  if (partition) return;
  ctx.violations.push({
    invariant: 'two-macs',
    t: run.s,
    vip,
    detail:
      `${vip} answered by ${[...run.macs].join(' and ')} for ${length} ms` +
      (cause ? ` (during ${cause.kind} #${cause.id} on ${cause.node ?? 'the cluster'})` : ''),
  });
}

/** The address's life that covers `t`, counting the time a released address may still be answered. */
function lifeAt(addresses: readonly AddressLife[], vip: string, t: number): AddressLife | undefined {
  return addresses.find((l) => l.vip === vip && l.from <= t && t <= (l.to ?? Infinity) + BOUNDS.releaseMs);
}

function wasHolder(rec: Recording, service: string, node: string, t: number): boolean {
  const lag = BOUNDS.holderLagMs;
  if (holderAt(rec.holders, service, t - lag) === node) return true;
  // The recorder's own watch sees a change a little after the answer may: both ways.
  return rec.holders.some((c) => c.service === service && c.holder === node && Math.abs(c.t - t) <= lag);
}

function checkAnswerers(ctx: Context, rounds: readonly ProbeRound[]): void {
  const reported = new Set<string>();
  const report = (v: Violation, key: string): void => {
    if (reported.has(key)) return;
    reported.add(key);
    ctx.violations.push(v);
  };
  for (const r of rounds) {
    for (const [vip, macs] of Object.entries(r.answers)) {
      const life = lifeAt(ctx.rec.addresses, vip, r.t);
      const bucket = Math.floor(r.t / 5_000);
      if (!life) {
        const detail = `${vip} answered by ${macs.join(', ')} while no Service holds it`;
        report({ invariant: 'released-answered', t: r.t, vip, detail }, `r ${vip} ${bucket}`);
        continue;
      }
      if (frozenDuring(ctx.rec, r.t - BOUNDS.holderLagMs, r.t)) continue;
      for (const mac of new Set(macs)) {
        const node = ctx.rec.macToNode[mac];
        if (node && wasHolder(ctx.rec, life.service, node, r.t)) continue;
        const holder = holderAt(ctx.rec.holders, life.service, r.t);
        const detail = `${vip} (${life.service}) answered by ${node ?? mac}; Lease holder ${holder ?? 'nobody'}`;
        report({ invariant: 'not-holder', t: r.t, vip, detail }, `h ${vip} ${mac} ${bucket}`);
      }
    }
  }
}

/** No storm: per second at most one write per announcer per stagger step; per Service few in 10 s. */
export const LEASE_WRITES = { perAnnouncerPerS: 10, perServicePer10s: 8 } as const;

function checkLeaseWrites(ctx: Context): void {
  const perSecond = new Map<number, number>();
  const perService = new Map<string, number[]>();
  for (const w of ctx.rec.leaseWrites) {
    const s = Math.floor(w.t / 1_000);
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    perService.set(w.service, [...(perService.get(w.service) ?? []), w.t]);
  }
  const cap = LEASE_WRITES.perAnnouncerPerS * ctx.rec.nodes;
  for (const [s, n] of perSecond) {
    if (n > cap) ctx.violations.push({ invariant: 'lease-writes', t: s * 1_000, detail: `${n} Lease writes in 1 s` });
  }
  for (const [service, times] of perService) {
    times.sort((a, b) => a - b);
    for (let i = 0, j = 0; j < times.length; j++) {
      while ((times[j] ?? 0) - (times[i] ?? 0) > 10_000) i++;
      if (j - i + 1 <= LEASE_WRITES.perServicePer10s) continue;
      const detail = `${service}: ${j - i + 1} Lease writes within 10 s`;
      ctx.violations.push({ invariant: 'lease-writes', t: times[i] ?? 0, detail });
      break;
    }
  }
}

export interface KindRow {
  kind: FaultKind;
  count: number;
  worstDarkMs: number;
  p99DarkMs: number;
  twoMacMs: number;
}

/** The table per fault kind: how many, worst and p99 dark time, total two-MAC time. */
export function rowsByKind(faults: readonly FaultWindow[], dark: Map<number, number>, twoMacs: Map<number, number>) {
  const rows = new Map<FaultKind, KindRow & { darks: number[] }>();
  for (const f of faults) {
    const row = rows.get(f.kind) ?? { kind: f.kind, count: 0, worstDarkMs: 0, p99DarkMs: 0, twoMacMs: 0, darks: [] };
    row.count++;
    row.darks.push(dark.get(f.id) ?? 0);
    row.twoMacMs += twoMacs.get(f.id) ?? 0;
    rows.set(f.kind, row);
  }
  return [...rows.values()].map(({ darks, ...row }): KindRow => {
    const sorted = [...darks].sort((a, b) => a - b);
    const p99 = sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)] ?? 0;
    return { ...row, worstDarkMs: sorted[sorted.length - 1] ?? 0, p99DarkMs: p99 };
  });
}
