// The chaos run's faults (issue 29), each done and undone on the bed: signals to announcers,
// links, nftables bridge rules, the apiserver frozen, the heartbeat key's Secret, CPU hogs, and
// edits of Services, pools, policies and endpoints. Each returns its window as it happened.
import { randomBytes } from 'node:crypto';
import { ip } from '../netns-lab.js';
import { runInNetns } from '../run-program.js';
import { stopProcess } from '../child-process.js';
import { prng } from '../prng.js';
import { MEMBERLIST_KEY, MEMBERLIST_SECRET } from '../../l2/election/lease-names.js';
import { KIND_SPECS, type FaultKind, type PlannedFault } from './plan.js';
import type { FaultWindow } from './invariants.js';
import { LANLB_NAMESPACE, type ChaosBed } from './bed.js';
import type { Recorder } from './recorder.js';
import { DUAL_NS, V4_NS, persist, serviceKey, type Workload } from './workload.js';

export interface FaultContext {
  bed: ChaosBed;
  workload: Workload;
  recorder: Recorder;
  /** nodes under a fault now: a second node fault picks another */
  busy: Set<string>;
  log(line: string): void;
}

const now = (): number => Math.round(performance.timeOrigin + performance.now());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Done = Omit<FaultWindow, 'id' | 'kind' | 'start'> | undefined;
type Executor = (ctx: FaultContext, f: PlannedFault, node: string | undefined) => Promise<Done>;

/** Runs one planned fault; undefined when it found nothing to act on (recorded as skipped). */
export async function runFault(ctx: FaultContext, f: PlannedFault): Promise<FaultWindow | undefined> {
  const target = KIND_SPECS[f.kind].target;
  const node = target === 'holder' ? pickHolder(ctx, f.pick) : target === 'node' ? pickNode(ctx, f.pick) : undefined;
  if (target !== 'cluster' && !node) return undefined;
  if (node) ctx.busy.add(node);
  const start = now();
  try {
    // A fault that failed half-way (its undo refused, say) still happened: its window stays.
    const done = await EXECUTORS[f.kind](ctx, f, node).catch((err: unknown) => {
      ctx.log(`fault #${f.id} ${f.kind} failed: ${String(err)}`);
      return { node, end: now(), detail: `failed: ${String(err)}` };
    });
    if (!done) return undefined;
    const window: FaultWindow = { id: f.id, kind: f.kind, start, ...done };
    ctx.log(`fault #${f.id} ${f.kind} ${window.node ?? window.service ?? ''} ${window.end - start} ms`);
    return window;
  } finally {
    if (node) ctx.busy.delete(node);
  }
}

/** The holder of a Service chosen by `pick` (the next one if that holder is busy), else a free node. */
function pickHolder(ctx: FaultContext, pick: number): string | undefined {
  const keys = ctx.workload.services.map(serviceKey);
  for (let i = 0; i < keys.length; i++) {
    const holder = ctx.recorder.holderNow(keys[(Math.floor(pick * keys.length) + i) % keys.length] ?? '');
    if (holder && !ctx.busy.has(holder)) return holder;
  }
  return pickNode(ctx, pick);
}

function pickNode(ctx: FaultContext, pick: number): string | undefined {
  const free = ctx.bed.nodes.map((n) => n.name).filter((n) => !ctx.busy.has(n));
  return free[Math.floor(pick * free.length)];
}

const netnsOf = (ctx: FaultContext, node: string) => ctx.bed.node(node).netns;
/** The node's port on the LAN bridge (NetnsLab names them vn1, vn2, ...). */
const portOf = (ctx: FaultContext, node: string) => `vn${ctx.bed.nodes.findIndex((n) => n.name === node) + 1}`;

async function restartAfter(ctx: FaultContext, node: string, ms: number, sig: NodeJS.Signals): Promise<Done> {
  ctx.bed.signal(node, sig);
  await sleep(ms);
  await ctx.bed.stopAnnouncer(node);
  ctx.bed.startAnnouncer(node);
  return { node, end: now() };
}

async function pause(ctx: FaultContext, node: string, ms: number): Promise<Done> {
  ctx.bed.signal(node, 'SIGSTOP');
  try {
    await sleep(ms);
  } finally {
    ctx.bed.signal(node, 'SIGCONT');
  }
  return { node, end: now() };
}

async function linkDown(ctx: FaultContext, node: string, ms: number): Promise<Done> {
  await ip('-n', netnsOf(ctx, node), 'link', 'set', 'eth0', 'down');
  try {
    await sleep(ms);
  } finally {
    await ip('-n', netnsOf(ctx, node), 'link', 'set', 'eth0', 'up');
  }
  return { node, end: now() };
}

async function linkFlap(ctx: FaultContext, f: PlannedFault, node: string): Promise<Done> {
  const rand = prng(Math.floor(f.pick * 2 ** 32));
  const until = now() + f.durationMs;
  let flaps = 0;
  for (let guard = 0; guard < 100 && now() < until; guard++, flaps++) {
    await linkDown(ctx, node, 100 + Math.floor(rand() * 200));
    await sleep(100 + Math.floor(rand() * 200));
  }
  return { node, end: now(), detail: `${flaps} flaps` };
}

/** nftables bridge rules in the LAN namespace for `ms`: all frames of a port, or its heartbeats. */
async function bridgeDrop(ctx: FaultContext, f: PlannedFault, node: string, heartbeatsOnly: boolean): Promise<Done> {
  const nft = (...args: string[]) => runInNetns(ctx.bed.lab.lan, 'nft', args);
  const table = `chaos${f.id}`;
  const port = portOf(ctx, node);
  const match = heartbeatsOnly ? ['ether', 'type', '0x88b5'] : [];
  await nft('add', 'table', 'bridge', table);
  try {
    await nft('add', 'chain', 'bridge', table, 'chaosfwd', '{ type filter hook forward priority 0 ; }');
    await nft('add', 'rule', 'bridge', table, 'chaosfwd', 'iifname', port, ...match, 'drop');
    await nft('add', 'rule', 'bridge', table, 'chaosfwd', 'oifname', port, ...match, 'drop');
    await sleep(f.durationMs);
  } finally {
    await nft('delete', 'table', 'bridge', table);
  }
  return { node, end: now() };
}

async function withoutNetRaw(ctx: FaultContext, node: string, ms: number): Promise<Done> {
  await ctx.bed.stopAnnouncer(node);
  ctx.bed.startAnnouncer(node, true);
  await sleep(ms);
  await ctx.bed.stopAnnouncer(node);
  ctx.bed.startAnnouncer(node);
  return { node, end: now() };
}

const secretPath = `/api/v1/namespaces/${LANLB_NAMESPACE}/secrets/${MEMBERLIST_SECRET}`;

async function rotateKey(ctx: FaultContext): Promise<Done> {
  const s = await persist(() => ctx.bed.http.get<{ data?: Record<string, string> }>(secretPath));
  if (!s) return undefined;
  const data = { ...s.data, [MEMBERLIST_KEY]: randomBytes(32).toString('base64') };
  await persist(() => ctx.bed.http.put(secretPath, { ...s, data }));
  return { end: now() };
}

/** The controller down, the key's Secret deleted, one announcer restarted; the controller back after. */
async function keyGone(ctx: FaultContext, node: string, ms: number): Promise<Done> {
  await ctx.bed.stopController();
  try {
    await persist(() => ctx.bed.http.delete(secretPath)).catch(() => undefined);
    await ctx.bed.stopAnnouncer(node);
    ctx.bed.startAnnouncer(node);
    await sleep(ms);
  } finally {
    ctx.bed.startController();
  }
  return { node, end: now() };
}

async function cpuHog(ctx: FaultContext, node: string, ms: number): Promise<Done> {
  const spin = `const end = Date.now() + ${ms}; while (Date.now() < end) {}`;
  const hog = ctx.bed.lab.spawnIn(netnsOf(ctx, node), process.execPath, ['-e', spin]);
  await new Promise((r) => hog.once('exit', r));
  await stopProcess(hog, 1_000);
  return { node, end: now() };
}

async function serviceCreate(ctx: FaultContext, f: PlannedFault): Promise<Done> {
  const svc = await ctx.workload.addService(f.pick < 0.5 ? V4_NS : DUAL_NS, Math.floor(f.pick * 100) % 5 === 0);
  return { end: now(), detail: `created ${serviceKey(svc)}` };
}

async function serviceDelete(ctx: FaultContext, f: PlannedFault): Promise<Done> {
  const all = ctx.workload.services;
  if (all.length <= 20) return serviceCreate(ctx, f); // keep 20+ Services
  const svc = all[Math.floor(f.pick * all.length)];
  if (!svc) return undefined;
  await ctx.workload.deleteService(svc);
  const end = now();
  return { end, appliedAt: end, service: serviceKey(svc), detail: 'deleted' };
}

async function readdress(ctx: FaultContext, f: PlannedFault): Promise<Done> {
  const dual = ctx.workload.services.filter((s) => s.ns === DUAL_NS);
  const svc = dual[Math.floor(f.pick * dual.length)];
  if (!svc) return undefined;
  await ctx.workload.readdress(svc);
  const end = now();
  return { end, appliedAt: end, service: serviceKey(svc), detail: `now slot ${svc.slot}` };
}

async function moveEndpoint(ctx: FaultContext, f: PlannedFault): Promise<Done> {
  const local = ctx.workload.services.filter((s) => s.local);
  const svc = local[Math.floor(f.pick * local.length)];
  if (!svc) return undefined;
  const from = ctx.recorder.holderNow(serviceKey(svc)) ?? svc.endpointNodes[0] ?? '';
  const to = await ctx.workload.moveEndpoint(svc, from);
  if (!to) return undefined;
  const end = now();
  return { end, appliedAt: end, service: serviceKey(svc), detail: `endpoint ${from} -> ${to}` };
}

/** `on`, `ms` later `off`: when `on` was accepted (a frozen apiserver delays it) and when `off` was. */
async function during(
  ms: number,
  on: () => Promise<unknown>,
  off: () => Promise<unknown>,
): Promise<{ appliedAt: number; end: number }> {
  await on();
  const appliedAt = now();
  try {
    await sleep(ms);
  } finally {
    await off();
  }
  return { appliedAt, end: now() };
}

/** An executor for a fault on a node: nothing to do without one. */
const onNode =
  (fn: (ctx: FaultContext, f: PlannedFault, node: string) => Promise<Done>): Executor =>
  (ctx, f, node) =>
    node ? fn(ctx, f, node) : Promise.resolve(undefined);

const EXECUTORS: Record<FaultKind, Executor> = {
  kill: onNode((ctx, f, n) => restartAfter(ctx, n, f.durationMs, 'SIGKILL')),
  'stop-short': onNode((ctx, f, n) => pause(ctx, n, f.durationMs)),
  'stop-long': onNode((ctx, f, n) => pause(ctx, n, f.durationMs)),
  'link-down': onNode((ctx, f, n) => linkDown(ctx, n, f.durationMs)),
  'link-flap': onNode((ctx, f, n) => linkFlap(ctx, f, n)),
  'apiserver-freeze': async (ctx, f) => ({ end: (await ctx.bed.cp.freezeApiserver(f.durationMs), now()) }),
  'heartbeat-drop': onNode((ctx, f, n) => bridgeDrop(ctx, f, n, true)),
  partition: onNode((ctx, f, n) => bridgeDrop(ctx, f, n, false)),
  'no-net-raw': onNode((ctx, f, n) => withoutNetRaw(ctx, n, f.durationMs)),
  'secret-rotate': (ctx) => rotateKey(ctx),
  'secret-gone': onNode((ctx, f, n) => keyGone(ctx, n, f.durationMs)),
  'cpu-hog': onNode((ctx, f, n) => cpuHog(ctx, n, f.durationMs)),
  'service-create': (ctx, f) => serviceCreate(ctx, f),
  'service-delete': (ctx, f) => serviceDelete(ctx, f),
  'service-readdress': (ctx, f) => readdress(ctx, f),
  'pool-edit': async (ctx, f) =>
    during(
      f.durationMs,
      () => ctx.workload.setPoolDisabled(true),
      () => ctx.workload.setPoolDisabled(false),
    ),
  'policy-nodes': onNode(async (ctx, f, n) => ({
    node: n,
    ...(await during(
      f.durationMs,
      () => ctx.workload.excludeNode(n),
      () => ctx.workload.excludeNode(undefined),
    )),
  })),
  'endpoints-move': (ctx, f) => moveEndpoint(ctx, f),
};
