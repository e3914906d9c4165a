// What the controller and one announcer cost in memory (the announcer is paid on every node), on
// a real kube-apiserver, run from the build (`npm run build`: no TypeScript loader in what is
// measured). Idle: an empty cluster. Loaded: 50,000 Services of typical size (two ports, labels,
// a selector, a 600-byte last-applied-configuration annotation; 90% ClusterIP, 10% LoadBalancer)
// and 5,000 EndpointSlices. Baseline in the same run: a bare `node` process.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ControlPlane } from '../src/devcluster/control-plane.js';
import { KubeHttp } from '../src/kube/http.js';
import { installCrds } from '../src/kube/crd-install.js';
import { stopProcess, trackChild } from '../src/devcluster/child-process.js';
import { freePort } from '../src/devcluster/free-port.js';
import { pollFor } from '../src/devcluster/poll.js';
import type { Row } from './ipam-micro.js';
import { rssMiB } from './proc.js';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const SERVICES = Number(process.env.LANLB_BENCH_SERVICES ?? 50_000);
const SLICES = Math.round(SERVICES / 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Node flags the image runs lanlb with (the Dockerfile's ENTRYPOINT, between "node" and the
 * script), so the processes are measured as shipped; LANLB_BENCH_NODE_FLAGS replaces them
 * ("none" for no flags) to compare.
 */
function shippedNodeFlags(): string[] {
  const override = process.env.LANLB_BENCH_NODE_FLAGS;
  if (override !== undefined) return override === 'none' ? [] : override.split(' ').filter(Boolean);
  const line = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))?.[1];
  const argv = line ? (JSON.parse(line) as string[]) : [];
  return argv.slice(1, argv.indexOf('/app/bin/lanlb.js'));
}

let built: Promise<unknown> | undefined;

/**
 * `node FLAGS bin/lanlb.js` as the image runs it, from a build made now (once per benchmark run),
 * so that what is measured is the shipped JavaScript, never a stale dist/.
 */
export async function shippedLanlb(): Promise<string[]> {
  built ??= promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: root, timeout: 300_000 });
  await built;
  return [...shippedNodeFlags(), join(root, 'bin', 'lanlb.js')];
}

/** Starts the built `lanlb ARGS`; resolves once /readyz answers 200, with the time it took. */
async function startBuilt(kubeconfig: string, args: string[]): Promise<{ child: ChildProcess; readyMs: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const all = [...(await shippedLanlb()), ...args, '--kubeconfig', kubeconfig, '--log-level', 'warn'];
  all.push('--health-addr', `127.0.0.1:${port}`, '--metrics-addr', '0');
  const child = spawn(process.execPath, all, { stdio: 'ignore' });
  trackChild(child);
  const ready = async () => {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    return r?.status === 200 ? true : undefined;
  };
  await pollFor(ready, 900_000, `${args[0]} ready`, 200);
  return { child, readyMs: performance.now() - t0 };
}

/** RSS after the process settled (two readings 5 s apart, the larger). */
async function settledRss(child: ChildProcess): Promise<number> {
  await sleep(5_000);
  const a = rssMiB(child.pid);
  await sleep(5_000);
  return Math.max(a, rssMiB(child.pid));
}

const ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

function service(i: number): object {
  const lb = i % 10 === 0;
  const labels = { app: `app-${i % 500}`, tier: 'web', team: `t${i % 20}` };
  return {
    metadata: { name: `s${i}`, labels, annotations: { [ANNOTATION]: JSON.stringify({ pad: 'x'.repeat(560), i }) } },
    spec: {
      type: lb ? 'LoadBalancer' : 'ClusterIP',
      selector: { app: `app-${i % 500}` },
      ports: [
        { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
        { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
      ],
    },
  };
}

function slice(i: number): object {
  return {
    metadata: { name: `s${i}-x`, labels: { 'kubernetes.io/service-name': `s${i}` } },
    addressType: 'IPv4',
    endpoints: [0, 1].map((k) => ({
      addresses: [`198.18.${(i >> 8) & 255}.${(i + k) & 255}`],
      conditions: { ready: true },
      topology: { 'kubernetes.io/hostname': `node${k + 1}` },
    })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

/** Creates `n` objects with `make`, 32 at a time. */
async function createAll(http: KubeHttp, path: string, n: number, make: (i: number) => object): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await http.post(path, make(i));
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

interface Measured {
  bare: number;
  idle: { controller: number; announcer: number };
  loaded: { controller: number; announcer: number; controllerReadyMs: number; announcerReadyMs: number };
}

async function measureBoth(
  kubeconfig: string,
): Promise<{ controller: number; announcer: number; c: number; a: number }> {
  // The announcer syncs first, alone: started after the controller it would list while the
  // controller writes 5,000 addresses (measured: 25 s instead of 10 s), timing the apiserver.
  const a = await startBuilt(kubeconfig, ['announcer', '--node-name', 'node1']);
  const c = await startBuilt(kubeconfig, ['controller', '--webhook-addr', '0']);
  const [controller, announcer] = await Promise.all([settledRss(c.child), settledRss(a.child)]);
  await stopProcess(c.child, 10_000);
  await stopProcess(a.child, 10_000);
  return { controller, announcer, c: c.readyMs, a: a.readyMs };
}

async function measure(cp: ControlPlane): Promise<Measured> {
  const http = new KubeHttp(cp.kubeConfig());
  const kubeconfig = cp.writeKubeconfig();
  await installCrds(http);
  await http.post('/api/v1/namespaces', { metadata: { name: 'lanlb-system' } });
  await http.post('/api/v1/nodes', { metadata: { name: 'node1', labels: { 'kubernetes.io/hostname': 'node1' } } });
  const bareChild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  trackChild(bareChild);
  const bare = await settledRss(bareChild);
  await stopProcess(bareChild, 5_000);
  const idle = await measureBoth(kubeconfig);
  await http.post('/apis/lanlb.io/v1beta1/loadbalancerippools', {
    apiVersion: 'lanlb.io/v1beta1',
    kind: 'LoadBalancerIPPool',
    metadata: { name: 'bench' },
    spec: { blocks: [{ cidr: '198.18.0.0/16' }] },
  });
  await http.post('/api/v1/namespaces', { metadata: { name: 'mem' } });
  await createAll(http, '/api/v1/namespaces/mem/services', SERVICES, service);
  await createAll(http, '/apis/discovery.k8s.io/v1beta1/namespaces/mem/endpointslices', SLICES, slice);
  const loaded = await measureBoth(kubeconfig);
  http.close();
  return {
    bare,
    idle: { controller: idle.controller, announcer: idle.announcer },
    loaded: { ...loaded, controllerReadyMs: loaded.c, announcerReadyMs: loaded.a },
  };
}

export async function memoryFootprint(): Promise<Row[]> {
  const cp = new ControlPlane();
  await cp.start();
  try {
    const m = await measure(cp);
    const perService = (idle: number, loaded: number) => `${(((loaded - idle) * 1024 * 1024) / SERVICES).toFixed(0)} B`;
    const bare = `${m.bare.toFixed(0)} MiB (bare node process)`;
    const row = (name: string, value: number, target: string): Row => ({
      name,
      value: `${value.toFixed(0)} MiB`,
      baseline: bare,
      ratio: (value / m.bare).toFixed(2),
      target,
    });
    const n = SERVICES.toLocaleString('en');
    return [
      row('controller RSS, idle (empty cluster)', m.idle.controller, '<= 80 MiB'),
      row('announcer RSS, idle (empty cluster)', m.idle.announcer, '<= 80 MiB'),
      row(`controller RSS with ${n} Services, ${SLICES} EndpointSlices`, m.loaded.controller, '-'),
      row(`announcer RSS with ${n} Services, ${SLICES} EndpointSlices`, m.loaded.announcer, '<= 150 MiB'),
      {
        name: 'bytes per Service (loaded - idle) / Services: controller, announcer',
        value: [
          perService(m.idle.controller, m.loaded.controller),
          perService(m.idle.announcer, m.loaded.announcer),
        ].join(', '),
        baseline: '-',
        ratio: '-',
        target: '<= 1 KiB per Service not acted on',
      },
      {
        name: `time to synced caches with ${n} Services: controller, announcer`,
        value: [m.loaded.controllerReadyMs, m.loaded.announcerReadyMs]
          .map((ms) => `${(ms / 1000).toFixed(1)} s`)
          .join(', '),
        baseline: '-',
        ratio: '-',
      },
    ];
  } finally {
    await cp.stop();
  }
}
