// The L2 chaos run (issue 29): on a started bed, creates the workload, records, runs the seeded
// fault plan with faults overlapping in time, then checks every invariant (invariants.ts) and
// the processes (alive, open fds, resident memory). Used by `npm run chaos:l2` and by a short
// seeded run in `npm test`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ip } from '../netns-lab.js';
import { pollFor } from '../poll.js';
import { planFaults, type PlannedFault } from './plan.js';
import { checkRecording, rowsByKind, type FaultWindow, type KindRow, type Violation } from './invariants.js';
import type { ChaosBed, ProcessHealth } from './bed.js';
import { Recorder } from './recorder.js';
import { runFault, type FaultContext } from './faults.js';
import { serviceKey, V4_NS, Workload } from './workload.js';

export interface ChaosOptions {
  seed: number;
  minutes: number;
  /** Services at the start (20+) */
  services?: number;
  /** mean time between fault starts (30 min / 200 faults: 9 s) */
  meanGapMs?: number;
  /** where the recording, the fault timeline and the bridge capture go */
  dir: string;
  log?: (line: string) => void;
  /** planted fault (a test of the run itself): a holder whose kernel keeps answering after a takeover */
  plantStaleHolder?: boolean;
}

export interface ChaosResult {
  seed: number;
  faults: FaultWindow[];
  skipped: number;
  violations: Violation[];
  rows: KindRow[];
  health: ProcessHealth[];
  /** the run's files: recording.json (all of it), bridge.pcap* */
  dir: string;
}

const now = (): number => Math.round(performance.timeOrigin + performance.now());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An announcer may hold this much memory (config/manager/announcer.yaml limits). */
export const ANNOUNCER_MEMORY_MIB = 384;
/** Open fds an announcer may gain over the run (restarts aside): more is a leak. */
export const FD_GROWTH = 32;

export async function runChaos(bed: ChaosBed, o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => undefined);
  const workload = await workloadOf(bed, o.services ?? 22);
  const recorder = new Recorder(bed, o.dir, o.minutes + 5);
  await recorder.start();
  await everyServiceHeld(workload, recorder);
  const before = bed.health();
  const ctx: FaultContext = { bed, workload, recorder, busy: new Set(), log };
  const runMs = o.minutes * 60_000;
  const plan = planFaults({ seed: o.seed, runMs, meanGapMs: o.meanGapMs ?? 9_000 });
  log(`seed ${o.seed}: ${plan.length} faults planned over ${o.minutes} min`);
  const t0 = now();
  const windows = await runPlan(ctx, plan, t0, o.plantStaleHolder ? plantStaleHolder : undefined);
  await sleep(Math.max(0, t0 + runMs - now()));
  const health = bed.health();
  await recorder.stop();
  const recording = {
    rounds: recorder.rounds,
    faults: windows.done,
    addresses: recorder.addresses,
    holders: recorder.holders,
    leaseWrites: recorder.leaseWrites,
    macToNode: Object.fromEntries(bed.nodes.map((n) => [n.mac, n.name])),
    nodes: bed.nodes.length,
    end: now(),
  };
  writeFileSync(join(o.dir, 'recording.json'), JSON.stringify({ seed: o.seed, plan, ...recording }));
  const checked = checkRecording({ ...recording, rounds: recording.rounds.filter((r) => r.t >= t0) });
  const violations = [...checked.violations, ...processViolations(before, health)];
  const rows = rowsByKind(windows.done, checked.dark, checked.twoMacs);
  return { seed: o.seed, faults: windows.done, skipped: windows.skipped, violations, rows, health, dir: o.dir };
}

const workloads = new WeakMap<ChaosBed, Workload>();

/** The bed's workload, created by its first run (a second run on the same bed goes on with it). */
async function workloadOf(bed: ChaosBed, services: number): Promise<Workload> {
  const existing = workloads.get(bed);
  if (existing) return existing;
  const workload = new Workload(
    bed.http,
    bed.nodes.map((n) => n.name),
  );
  await workload.create(services);
  workloads.set(bed, workload);
  return workload;
}

/** Every Service has its addresses and a holder before the faults start. */
async function everyServiceHeld(workload: Workload, recorder: Recorder): Promise<void> {
  const held = async () => workload.services.every((s) => recorder.holderNow(serviceKey(s))) || undefined;
  await pollFor(held, 90_000, 'every Service held', 200);
  await sleep(3_000);
}

type Plant = (ctx: FaultContext) => Promise<FaultWindow | undefined>;

/** Starts each planned fault at its time (not waiting for the ones running); resolves when all end. */
async function runPlan(ctx: FaultContext, plan: readonly PlannedFault[], t0: number, plant?: Plant) {
  const running: Array<Promise<FaultWindow | undefined>> = [];
  if (plant) running.push(sleep(Math.max(0, t0 + 5_000 - now())).then(() => plant(ctx)));
  for (const f of plan) {
    await sleep(Math.max(0, t0 + f.atMs - now()));
    running.push(
      runFault(ctx, f).catch((err: unknown) => {
        ctx.log(`fault #${f.id} ${f.kind} failed: ${String(err)}`);
        return undefined;
      }),
    );
  }
  const all = await Promise.all(running);
  const done = all.filter((w): w is FaultWindow => w !== undefined);
  return { done, skipped: all.length - done.length };
}

/**
 * The planted fault: the holder of an IPv4 Service gets the VIP as a kernel address (so its kernel
 * answers ARP for it with the node's MAC), then its announcer is killed. Someone else takes the
 * Lease; the old holder's MAC keeps answering for 3 s more: what a holder that does not withdraw
 * after its Lease is taken looks like on the wire. The run must report it.
 */
async function plantStaleHolder(ctx: FaultContext): Promise<FaultWindow | undefined> {
  const svc = ctx.workload.services.find((s) => s.ns === V4_NS && !s.local);
  const holder = svc && ctx.recorder.holderNow(serviceKey(svc));
  const vip = svc && ctx.recorder.addresses.find((a) => a.service === serviceKey(svc) && a.to === undefined)?.vip;
  if (!svc || !holder || !vip || ctx.busy.has(holder)) return undefined;
  ctx.busy.add(holder);
  const start = now();
  const netns = ctx.bed.node(holder).netns;
  await ip('-n', netns, 'addr', 'add', `${vip}/32`, 'dev', 'eth0');
  ctx.bed.signal(holder, 'SIGKILL');
  await ctx.bed.stopAnnouncer(holder);
  // Down until another node holds the Lease (a restart before that could take its own Lease back
  // and the stale answer would be the holder's), then both answer for a while.
  const taken = async () => (ctx.recorder.holderNow(serviceKey(svc)) ?? holder) !== holder || undefined;
  await pollFor(taken, 60_000, `another node holds ${vip}`, 100).catch(() => undefined);
  await sleep(3_000);
  await ip('-n', netns, 'addr', 'del', `${vip}/32`, 'dev', 'eth0');
  ctx.bed.startAnnouncer(holder);
  ctx.busy.delete(holder);
  ctx.log(`planted: ${holder}'s kernel answered for ${vip} after its announcer was killed`);
  return { id: 0, kind: 'kill', node: holder, start, end: now(), detail: `planted stale holder of ${vip}` };
}

export function processViolations(before: readonly ProcessHealth[], after: readonly ProcessHealth[]): Violation[] {
  const out: Violation[] = [];
  const t = now();
  // A restarted process is held to the most any announcer had open at the start.
  const most = Math.max(0, ...before.filter((b) => b.who !== 'controller').map((b) => b.fds));
  for (const p of after) {
    const was = before.find((b) => b.who === p.who);
    const baseline = was && was.pid === p.pid ? was.fds : most;
    if (!p.alive) out.push({ invariant: 'process', t, detail: `${p.who} is not running at the end` });
    if (p.who !== 'controller' && p.rssMiB > ANNOUNCER_MEMORY_MIB)
      out.push({ invariant: 'process', t, detail: `${p.who}: ${p.rssMiB.toFixed(0)} MiB resident` });
    const same = was?.pid === p.pid;
    if ((p.who !== 'controller' || same) && p.fds > baseline + FD_GROWTH)
      out.push({ invariant: 'process', t, detail: `${p.who}: ${p.fds} open fds (${baseline} at the start)` });
  }
  return out;
}
