// The controller under a webhook attack (issue 18's mix): 40 parallel 2.9 MB requests again and
// again, slow-header and idle connections, JSON nested 100,000 levels, aborted requests. Measured
// against the same controller, same run, unattacked: its RSS (the Deployment's limit is 512 MiB)
// and how long a new LoadBalancer Service waits for its address. Loopback only, bounded in time.
import { connect, type TLSSocket } from 'node:tls';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopProcess, trackChild } from '../src/devcluster/child-process.js';
import { ControlPlane } from '../src/devcluster/control-plane.js';
import { KubeHttp } from '../src/kube/http.js';
import { installCrds } from '../src/kube/crd-install.js';
import { freePort } from '../src/devcluster/free-port.js';
import { pollFor } from '../src/devcluster/poll.js';
import { startLanlb, type LanlbProcess } from '../test/helpers/lanlb-process.js';
import type { Service } from '../src/core/kube-objects.js';
import type { Row } from './ipam-micro.js';

const LIMIT_MIB = 512;
const ATTACK_SECONDS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** One POST; resolves on any outcome (answer, reset, refusal). */
function post(port: number, body: Buffer | string, abortAfterMs?: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/validate', method: 'POST', rejectUnauthorized: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      },
    );
    req.on('error', () => resolve());
    if (abortAfterMs !== undefined) setTimeout(() => req.destroy(), abortAfterMs);
    req.end(body);
  });
}

/** A connection that sends half a request line and then nothing. */
function slowHeader(port: number): Promise<TLSSocket> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      s.write('POST /validate HTTP/1.1\r\nHost: x\r\n');
      resolve(s);
    });
    s.on('error', () => resolve(s));
  });
}

async function attack(port: number, until: number): Promise<void> {
  const big = Buffer.alloc(2.9 * 1024 * 1024, 0x20);
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const loops = Array.from({ length: 40 }, async (_, i) => {
    while (Date.now() < until) await post(port, i % 4 === 0 ? deep : big, i % 5 === 0 ? 50 : undefined);
  });
  const idle: TLSSocket[] = [];
  const holders = (async () => {
    while (Date.now() < until) {
      if (idle.length < 200) idle.push(await slowHeader(port));
      await sleep(20);
    }
  })();
  await Promise.all([...loops, holders]);
  for (const s of idle) s.destroy();
}

/** Milliseconds from creating each Service to its address, one after another. */
async function allocationLatencies(http: KubeHttp, ns: string, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await http.post(`/api/v1/namespaces/${ns}/services`, {
      metadata: { name: `s${i}` },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    });
    await pollFor(
      async () => {
        const s = await http.get<Service>(`/api/v1/namespaces/${ns}/services/s${i}`);
        return s.status?.loadBalancer?.ingress?.length ? true : undefined;
      },
      30_000,
      `address of ${ns}/s${i}`,
      10,
    );
    out.push(performance.now() - t0);
  }
  return out;
}

/** The decoy: the same webhook server alone in a process; resolves with it and its port. */
async function startDecoy(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('webhook-decoy.ts', import.meta.url))],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  trackChild(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
    child.once('exit', (code) => reject(new Error(`decoy exited ${code}`)));
  });
  return { child, port };
}

/** Allocation latencies while `port` is under attack for ATTACK_SECONDS; peak RSS of `pid`. */
async function underAttack(http: KubeHttp, ns: string, port: number, pid: number) {
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
  const [cpu0, mine0] = [cpuSeconds(pid), process.cpuUsage()];
  const attacking = attack(port, Date.now() + ATTACK_SECONDS * 1000);
  await sleep(2_000);
  const latencies = await allocationLatencies(http, ns, 20);
  await attacking;
  const mine = process.cpuUsage(mine0);
  clearInterval(sampler);
  return {
    latencies,
    peak,
    cpu: (cpuSeconds(pid) - cpu0) / ATTACK_SECONDS,
    attackerCpu: (mine.user + mine.system) / 1e6 / ATTACK_SECONDS,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function webhookAttack(): Promise<Row[]> {
  const cp = new ControlPlane();
  await cp.start();
  const http = new KubeHttp(cp.kubeConfig());
  let controller: LanlbProcess | undefined;
  try {
    await installCrds(http);
    for (const ns of ['lanlb-system', 'calm', 'decoy', 'attacked'])
      await http.post('/api/v1/namespaces', { metadata: { name: ns } });
    await http.post('/apis/lanlb.io/v1beta1/loadbalancerippools', {
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'LoadBalancerIPPool',
      metadata: { name: 'p' },
      spec: { blocks: [{ cidr: '198.18.0.0/24' }] },
    });
    const port = await freePort();
    controller = startLanlb([
      'controller',
      '--kubeconfig',
      cp.writeKubeconfig(),
      '--health-addr',
      '0',
      '--metrics-addr',
      '0',
      '--webhook-addr',
      `127.0.0.1:${port}`,
      '--webhook-host',
      '127.0.0.1',
      '--log-level',
      'warn',
    ]);
    await controller.waitForLog(/caches synced|leading/, 60_000).catch(() => undefined);
    await sleep(3_000);
    const pid = controller.child.pid ?? 0;
    const calmRss = rssMiB(pid);
    const calm = await allocationLatencies(http, 'calm', 20);
    // The same attack on a decoy: the machine as loaded, the controller untouched.
    const decoy = await startDecoy();
    const onDecoy = await underAttack(http, 'decoy', decoy.port, pid);
    await stopProcess(decoy.child, 2_000);
    const onController = await underAttack(http, 'attacked', port, pid);
    const alive = controller.child.exitCode === null && controller.child.signalCode === null;
    const ms = (x: number) => `${x.toFixed(0)} ms`;
    return [
      {
        name:
          `controller RSS under ${ATTACK_SECONDS} s of webhook attack (40 x 2.9 ` +
          `MB, slow headers, deep JSON, aborts)${alive ? '' : ' - PROCESS DIED'}`,
        value: `${onController.peak.toFixed(0)} MiB peak`,
        baseline: `${calmRss.toFixed(0)} MiB (same process before the attack)`,
        ratio: (onController.peak / calmRss).toFixed(2),
        target: `peak < ${LIMIT_MIB} MiB (Deployment limit)`,
      },
      {
        name: 'allocation latency (create -> address), median of 20, while the controller is attacked',
        value: ms(median(onController.latencies)),
        baseline:
          `${ms(median(onDecoy.latencies))} (same attack on a ` +
          `decoy webhook server; unattacked: ${ms(median(calm))})`,
        ratio: (median(onController.latencies) / median(onDecoy.latencies)).toFixed(2),
        target: 'about 1',
      },
      {
        name:
          'controller CPU during the attack (cores; the attacking client used ' +
          `${onController.attackerCpu.toFixed(2)})`,
        value: onController.cpu.toFixed(2),
        baseline: `${onDecoy.cpu.toFixed(2)} (decoy attacked)`,
        ratio: '-',
      },
    ];
  } finally {
    await controller?.stop();
    http.close();
    await cp.stop();
  }
}
