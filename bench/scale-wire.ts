// Scale, wire side (issue 28 items 2 and 3b/3c): one real announcer (of three, on one LAN bridge,
// with the controller and a real kube-apiserver) hearing a frame generator's K simulated peers
// (bench/heartbeat-peers, Go, AF_PACKET), authenticated with the cluster's key or forged under
// random MACs. Per K: the announcer's CPU by thread (main; the busiest other thread, which is
// the answer thread), its event-loop lag (prom-client's p99 and max, from its /metrics), and
// ARP answers to the client's probes; the same announcer with K = 0 is the baseline in the same
// run. Two shapes of segment: every peer holding a Service (all at 10 Hz: the worst case, a
// segment with as many Services as nodes) and 100 holders among K (the others idle at 1 Hz, as
// lanlb's nodes that hold nothing send). Then crash takeovers (SIGKILL of the holder) with 1,000
// peers on the wire.
// Addresses from 192.0.2.0/24 only, in namespaces this run makes and removes.
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runInNetns } from '../src/devcluster/run-program.js';
import { stopProcess, trackChild } from '../src/devcluster/child-process.js';
import { ControlPlane, lanlbCacheDir } from '../src/devcluster/control-plane.js';
import { pollFor } from '../src/devcluster/poll.js';
import { BenchCluster, darkTime, killHolder, stats } from './l2-cluster.js';
import { percentile } from './l2.js';
import type { Row } from './ipam-micro.js';
import { WatchedPeers } from './watched-peers.js';

const execFileP = promisify(execFile);
const here = new URL('.', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PEERS = (process.env.LANLB_BENCH_WIRE_PEERS ?? '1000,3000,5000').split(',').map(Number);
const WINDOW_S = Number(process.env.LANLB_BENCH_WIRE_SECONDS ?? 20);
const TAKEOVERS = Number(process.env.LANLB_BENCH_WIRE_TAKEOVERS ?? 10);
/** peers the measured node watches (holders of Services it would take over first): 3 x S / N at S Services */
const WATCHED = Number(process.env.LANLB_BENCH_WIRE_WATCHED ?? 30);
const METRICS = '127.0.0.1:7472';
const VIP = '192.0.2.200';
const TICKS = 100; // USER_HZ

async function generatorBinary(): Promise<string> {
  const out = join(lanlbCacheDir(), 'bin', 'heartbeat-peers');
  await execFileP('go', ['build', '-o', out, join(here, 'heartbeat-peers', 'main.go')], {
    env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '' },
    timeout: 300_000,
  });
  return out;
}

/** CPU seconds per thread of `pid` (tid -> seconds). */
function threadCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    out.set(Number(tid), (Number(f[11]) + Number(f[12])) / TICKS);
  }
  return out;
}

async function scrape(netns: string): Promise<Record<string, number>> {
  const { stdout } = await runInNetns(netns, 'curl', ['-s', '--max-time', '10', `http://${METRICS}/metrics`], {
    timeoutMs: 15_000,
  });
  const out: Record<string, number> = {};
  for (const line of stdout.split('\n')) {
    const m = /^(nodejs_eventloop_lag_(?:p99|max)_seconds|lanlb_l2_peers_watched) ([0-9.e+-]+)$/.exec(line);
    if (m?.[1]) out[m[1]] = Number(m[2]);
  }
  return out;
}

interface Heard {
  peers: number;
  /** peers at 10 Hz (holders); the rest at 1 Hz */
  holders: number;
  mode: 'auth' | 'forged';
  frames: number;
  main: number;
  answer: number;
  total: number;
  lagP99: number;
  lagMax: number;
  answered: number;
  probes: number;
  /** peers the node checked every frame of (lanlb_l2_peers_watched) */
  watched: number;
}

/** bench/heartbeat-peers in the client namespace; end() waits for it (10 s at most) and says what it sent. */
function generator(b: BenchCluster, bin: string, args: string[]) {
  const gen = spawn('ip', ['netns', 'exec', b.lab.client, bin, ...args]);
  trackChild(gen);
  let sent = '';
  gen.stdout.on('data', (d: Buffer) => (sent += d.toString()));
  const ended = new Promise((ok) => gen.once('exit', ok));
  return {
    async end(): Promise<number> {
      await Promise.race([ended, sleep(10_000)]);
      await stopProcess(gen, 5_000);
      return Number(sent.trim()) || 0;
    },
  };
}

/**
 * One window of `peers` peers (`holders` of them at 10 Hz, the rest at 1 Hz) heard by `node`'s
 * announcer; with `watched`, the first of them hold Services it watches.
 */
async function hear(
  b: BenchCluster,
  bin: string,
  key: string,
  node: string,
  shape: Omit<Heard, Measures>,
  watched?: WatchedPeers,
) {
  const netns = b.lab.nodes.find((n) => n.name === node)?.netns ?? '';
  const pid = b.pidOf(node) ?? 0;
  const { peers, holders, mode } = shape;
  const args = ['eth0', key, String(peers), '10', String(WINDOW_S), mode, String(holders)];
  const gen = generator(b, bin, watched ? [...args, watched.answer] : args);
  await sleep(2_000); // the generator is up to rate; the announcer's tables are warm
  if (watched) await watched.assign().then(() => sleep(1_000));
  await scrape(netns); // resets the lag histogram
  const before = threadCpu(pid);
  const t0 = performance.now();
  const probes = Math.round(((WINDOW_S - 4) * 1000) / 200);
  const answers = await b.lab.arpProbes(VIP, probes, 200);
  const seconds = (performance.now() - t0) / 1000;
  const after = threadCpu(pid);
  const lag = await scrape(netns);
  const sent = await gen.end();
  const used = [...after].map(([tid, s]) => [tid, (s - (before.get(tid) ?? 0)) / seconds] as const);
  const others = used.filter(([tid]) => tid !== pid).map(([, s]) => s);
  return {
    ...shape,
    frames: sent,
    main: used.find(([tid]) => tid === pid)?.[1] ?? 0,
    answer: Math.max(0, ...others),
    total: used.reduce((n, [, s]) => n + s, 0),
    lagP99: (lag.nodejs_eventloop_lag_p99_seconds ?? 0) * 1000,
    lagMax: (lag.nodejs_eventloop_lag_max_seconds ?? 0) * 1000,
    answered: answers.filter(Boolean).length,
    probes,
    watched: lag.lanlb_l2_peers_watched ?? 0,
  } satisfies Heard;
}

export async function scaleWire(): Promise<Row[]> {
  const bin = await generatorBinary();
  const cp = new ControlPlane();
  await cp.start();
  const b = new BenchCluster(cp, METRICS);
  try {
    await b.start();
    const secret = await pollFor(
      () => b.http.get<{ data?: { secretkey?: string } }>('/api/v1/namespaces/lanlb-system/secrets/lanlb-memberlist'),
      30_000,
      'the heartbeat key',
    );
    const key = Buffer.from(secret.data?.secretkey ?? '', 'base64').toString('hex');
    const holder = await b.holder();
    const heard: Heard[] = [await hear(b, bin, key, holder, { peers: 0, holders: 0, mode: 'auth' })];
    const watched = new WatchedPeers(b.http, WATCHED);
    await watched.create(
      holder,
      b.lab.nodes.map((n) => n.name),
    );
    for (const k of PEERS) heard.push(await hear(b, bin, key, holder, { peers: k, holders: k, mode: 'auth' }, watched));
    for (const k of PEERS)
      heard.push(await hear(b, bin, key, holder, { peers: k, holders: 100, mode: 'auth' }, watched));
    await watched.remove(); // the flood and the takeovers as before: no Node but the three real ones
    const flood = Math.max(3_000, ...PEERS);
    heard.push(await hear(b, bin, key, holder, { peers: flood, holders: flood, mode: 'forged' }));
    const kills = await takeovers(b, bin, key);
    return rows(heard, kills);
  } finally {
    await b.stop();
    await cp.stop();
  }
}

/** SIGKILL of the holder while 1,000 simulated peers heartbeat on the wire. */
async function takeovers(b: BenchCluster, bin: string, key: string): Promise<number[]> {
  const seconds = String(TAKEOVERS * 10 + 30);
  const gen = spawn('ip', ['netns', 'exec', b.lab.client, bin, 'eth0', key, '1000', '10', seconds, 'auth']);
  trackChild(gen);
  try {
    await sleep(2_000);
    const k = killHolder(b, 'SIGKILL');
    const xs: number[] = [];
    for (let i = 0; i < TAKEOVERS; i++) xs.push(await darkTime(b, k.fault, k.restore));
    return xs;
  } finally {
    gen.kill('SIGTERM');
    await stopProcess(gen, 5_000);
  }
}

type Measures = 'frames' | 'main' | 'answer' | 'total' | 'lagP99' | 'lagMax' | 'answered' | 'probes' | 'watched';

function rows(heard: Heard[], kills: number[]): Row[] {
  const base = heard[0] as Heard;
  const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;
  const one = (h: Heard): string =>
    `${pct(h.total)} of a core (main ${pct(h.main)}, answer thread ${pct(h.answer)}); ` +
    `${Math.round(h.frames / WINDOW_S)} frames/s sent; loop lag p99 ${h.lagP99.toFixed(0)} ms, ` +
    `max ${h.lagMax.toFixed(0)} ms; ARP ${h.answered}/${h.probes} answered`;
  const target = (h: Heard) =>
    h.mode === 'forged'
      ? '<= 10 % of a core; lag p99 < 100 ms'
      : h.peers <= 1000
        ? '<= 5 % above K=0'
        : '<= 10 % above K=0';
  const shape = (h: Heard) =>
    h.mode === 'forged'
      ? `${h.peers} forged senders at 10 Hz, random MACs`
      : h.holders >= h.peers
        ? `${h.peers} peers all holding (10 Hz each), ${h.watched} of them watched`
        : `${h.peers} peers, ${h.holders} holding (10 Hz), the rest idle (1 Hz), ${h.watched} watched`;
  const out: Row[] = heard.slice(1).map((h) => ({
    name: `scale wire: ${shape(h)}`,
    value: one(h),
    baseline: `K=0: ${one(base)}`,
    ratio: `+${pct(h.total - base.total)}`,
    target: target(h),
  }));
  out.push({
    name: 'scale wire: SIGKILL of the holder with 1,000 peers on the wire (client ARP probe every 50 ms)',
    value: `${stats(kills)} dark`,
    baseline: '-',
    ratio: '-',
    target: `p99 <= 1 s (p99 ${percentile(kills, 99)} ms)`,
  });
  return out;
}
