// ARP answer latency side by side (issue 14, item 1): the kernel answering for its own address, a
// MetalLB-style Go responder (bench/arp-peer, mdlayher/arp) and lanlb's PcapResponder, one at a
// time on the same veth pair, idle and with busy loops on one and on both cores. Latency is the
// reply's departure minus the request's arrival, both stamped by the kernel in a capture on the
// responder's own interface, so the client's scheduling does not enter.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stopProcess, trackChild } from '../src/devcluster/child-process.js';
import { runInNetns } from '../src/devcluster/run-program.js';
import { lanlbCacheDir } from '../src/devcluster/control-plane.js';
import type { Row } from './ipam-micro.js';
import { KERNEL_IP, percentile, removeNamespaces, vethPair } from './l2.js';

const execFileP = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const NS_R = 'lanlbb-ans-r';
const NS_C = 'lanlbb-ans-c';
const PEER_IP = '192.0.2.201';
const LANLB_IP = '192.0.2.200';
const REQUESTS = 600;

const setup = () => vethPair(NS_R, NS_C);
const teardown = () => removeNamespaces(NS_R, NS_C);

/** The Go peer, built once into the cache in GOPATH mode against Debian's packaged library. */
export async function goPeerBinary(): Promise<string> {
  const out = join(lanlbCacheDir(), 'bin', 'arp-peer');
  await execFileP('go', ['build', '-o', out, join(here, 'arp-peer', 'main.go')], {
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOFLAGS: '' },
    timeout: 300_000,
  });
  return out;
}

/** V8/Node flags for lanlb's responder (LANLB_BENCH_NODE_FLAGS, e.g. --optimize-for-size). */
const nodeFlags = () => (process.env.LANLB_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/** Starts a responder in `ns` and resolves once it printed its first line ("ready"). */
export async function startResponder(cmd: string, args: string[], ns = NS_R): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  trackChild(child);
  await new Promise<void>((ok, fail) => {
    child.stdout?.once('data', () => ok());
    child.once('exit', (code) => fail(new Error(`${cmd} exited with ${code} before it was ready`)));
  });
  return child;
}

/** Where a responder and its client run: each on its namespace's eth0. */
export interface AnswerSides {
  responderNs: string;
  clientNs: string;
}

const VETH: AnswerSides = { responderNs: NS_R, clientNs: NS_C };

/**
 * What a run of stamped requests measured: the latencies (µs), the requests with no reply stamped
 * before the next one 5 ms later (late or lost), those arping never got an answer to at all, and
 * the frames the stamping capture itself dropped (so that a late reply, a lost one and a missed
 * stamp are told apart).
 */
export interface Stamped {
  us: number[];
  late: number;
  unanswered: number;
  captureDrops: number;
}

/** ", N late (M unanswered, K not stamped)" when anything was, else nothing. */
export function misses(x: Stamped): string {
  if (!x.late && !x.unanswered && !x.captureDrops) return '';
  const drops = x.captureDrops ? `, ${x.captureDrops} not stamped` : '';
  return `, ${x.late} late (${x.unanswered} unanswered${drops})`;
}

/** Kernel-stamped latencies of REQUESTS requests 5 ms apart, stamped by tcpdump on the responder's eth0. */
export async function stampedLatencies(target: string, sides = VETH): Promise<Stamped> {
  const dump = spawn(
    'ip',
    [
      'netns',
      'exec',
      sides.responderNs,
      'tcpdump',
      '-i',
      'eth0',
      '-n',
      '-l',
      '-tt',
      '--time-stamp-precision=nano',
      'arp',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  trackChild(dump);
  let text = '';
  let summary = '';
  dump.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  dump.stderr?.on('data', (d: Buffer) => (summary += d.toString()));
  await new Promise<void>((ok) => dump.stderr?.on('data', () => /listening on/.test(summary) && ok()));
  const args = ['-c', String(REQUESTS), '-W', '0.005', '-I', 'eth0', target];
  const { stdout } = await runInNetns(sides.clientNs, 'arping', args, { timeoutMs: 120_000, noAnswerCodes: [1] });
  await new Promise((r) => setTimeout(r, 200));
  dump.kill('SIGINT');
  await stopProcess(dump, 3_000);
  const received = Number(/(\d+) packets received/.exec(stdout)?.[1] ?? 0);
  const captureDrops = Number(/(\d+) packets dropped by kernel/.exec(summary)?.[1] ?? 0);
  const { us, late } = pairRequestsAndReplies(text, target);
  return { us, late, unanswered: Math.max(0, REQUESTS - received), captureDrops };
}

/** Pairs each request for `target` with the reply that follows it (nanosecond stamps). */
export function pairRequestsAndReplies(text: string, target: string): { us: number[]; late: number } {
  const us: number[] = [];
  let pending: bigint | undefined;
  let late = 0;
  for (const line of text.split('\n')) {
    const m = /^(\d+)\.(\d{9}) ARP, (Request who-has|Reply) (\S+)/.exec(line);
    if (!m || m[4] !== target) continue;
    const ns = BigInt(m[1] ?? '0') * 1_000_000_000n + BigInt(m[2] ?? '0');
    if (m[3] === 'Reply') {
      if (pending !== undefined) us.push(Number(ns - pending) / 1000);
      pending = undefined;
    } else {
      if (pending !== undefined) late++;
      pending = ns;
    }
  }
  return { us, late: late + (pending !== undefined ? 1 : 0) };
}

/** `n` processes spinning on a core each (plain busy loops, like the measurement). */
function busyLoops(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => {
    const c = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    trackChild(c);
    return c;
  });
}

type Stages = Record<string, number[]>;
type Path = 'native' | 'js';

/** lanlb's answer path timed stage by stage (bench/l2-stages.ts) while answering REQUESTS requests. */
async function stagesOfAnswer(path: Path): Promise<{ path: Path; stages: Stages; total: number[] }> {
  const child = await startResponder(process.execPath, [
    '--import',
    'tsx',
    join(here, 'l2-stages.ts'),
    'eth0',
    LANLB_IP,
    path,
  ]);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const total = await stampedLatencies(LANLB_IP);
  await stopProcess(child, 3_000);
  const stages = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Stages;
  return { path, stages, total: total.us };
}

const PATHS: Record<Path, string> = {
  native: 'native ARP answer (in the poll callback)',
  js: 'JavaScript path (what VLAN-tagged frames take)',
};

function stageRows({ path, stages, total }: { path: Path; stages: Stages; total: number[] }): Row[] {
  const us = (x: number) => `${x.toFixed(1)} us`;
  return Object.entries(stages).map(([stage, samples]) => ({
    name: `stages, idle, ${PATHS[path]}: ${stage} p50 / p99 (${samples.length} answers)`,
    value: `${us(percentile(samples, 50))} / ${us(percentile(samples, 99))}`,
    baseline: `${us(percentile(total, 50))} (this path's answer p50, kernel-stamped)`,
    ratio: (percentile(samples, 50) / percentile(total, 50)).toFixed(2),
  }));
}

const SCENARIOS = [
  ['idle', 0],
  ['one core busy', 1],
  ['both cores busy', 2],
] as const;

interface Measured {
  kernel: Stamped;
  peer: Stamped;
  lanlb: Stamped;
}

async function measure(peerBin: string, busy: number): Promise<Measured> {
  const loops = busyLoops(busy);
  try {
    const kernel = await stampedLatencies(KERNEL_IP);
    const peerProc = await startResponder(peerBin, ['eth0', PEER_IP]);
    const peer = await stampedLatencies(PEER_IP).finally(() => stopProcess(peerProc, 3_000));
    const ours = await startResponder(process.execPath, [
      ...nodeFlags(),
      '--import',
      'tsx',
      join(here, 'l2-responder.ts'),
      'eth0',
      LANLB_IP,
    ]);
    const lanlb = await stampedLatencies(LANLB_IP).finally(() => stopProcess(ours, 3_000));
    return { kernel, peer, lanlb };
  } finally {
    for (const l of loops) await stopProcess(l, 1_000);
  }
}

function rows(label: string, m: Measured): Row[] {
  const us = (x: number) => `${x.toFixed(0)} us`;
  return [50, 99].map((p) => ({
    name: `ARP answer p${p}, ${label} (kernel-stamped, ${REQUESTS} requests 5 ms apart)`,
    value: `${us(percentile(m.lanlb.us, p))}${misses(m.lanlb)}`,
    baseline: `${us(percentile(m.peer.us, p))} Go peer${misses(m.peer)}; kernel ${us(percentile(m.kernel.us, p))}`,
    ratio: (percentile(m.lanlb.us, p) / percentile(m.peer.us, p)).toFixed(2),
    target: p === 50 ? '<= 1.5' : '<= 2',
  }));
}

export async function answerLatencyAgainstPeer(): Promise<Row[]> {
  const peerBin = await goPeerBinary();
  await setup();
  try {
    const out: Row[] = [];
    for (const [label, busy] of SCENARIOS) out.push(...rows(label, await measure(peerBin, busy)));
    for (const path of ['native', 'js'] as const) out.push(...stageRows(await stagesOfAnswer(path)));
    return out;
  } finally {
    await teardown();
  }
}
