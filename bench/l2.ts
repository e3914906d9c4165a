// Layer-2 benchmarks on real frames in namespaces this benchmark creates and removes, against
// the Linux kernel answering for its own address on the same kind of interface in the same run.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runInNetns } from '../src/devcluster/run-program.js';
import { join } from 'node:path';
import { trackChild, stopProcess } from '../src/devcluster/child-process.js';
import type { Row } from './ipam-micro.js';

const execFileP = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const NS_R = 'lanlbb-resp';
const NS_C = 'lanlbb-client';
export const KERNEL_IP = '192.0.2.1';
const VIP = '192.0.2.200';

const ip = (...a: string[]) => execFileP('ip', a);

/**
 * A responder namespace and a client namespace joined by a veth pair (eth0 on both sides), the
 * responder's kernel owning KERNEL_IP (the baseline), the client 192.0.2.100.
 */
export async function vethPair(responderNs: string, clientNs: string): Promise<void> {
  await removeNamespaces(responderNs, clientNs);
  await ip('netns', 'add', responderNs);
  await ip('netns', 'add', clientNs);
  await ip('link', 'add', 'eth0', 'netns', responderNs, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', clientNs);
  await ip('-n', responderNs, 'link', 'set', 'eth0', 'address', '02:00:00:00:00:11', 'up');
  await ip('-n', clientNs, 'link', 'set', 'eth0', 'address', '02:00:00:00:00:c0', 'up');
  await ip('-n', responderNs, 'addr', 'add', `${KERNEL_IP}/24`, 'dev', 'eth0');
  await ip('-n', clientNs, 'addr', 'add', '192.0.2.100/24', 'dev', 'eth0');
}

export async function removeNamespaces(...names: string[]): Promise<void> {
  for (const ns of names) await ip('netns', 'del', ns).catch(() => undefined);
}

const setup = () => vethPair(NS_R, NS_C);
const teardown = () => removeNamespaces(NS_R, NS_C);

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function arpingTimes(target: string, count: number): Promise<number[]> {
  const args = ['-c', String(count), '-W', '0.005', '-I', 'eth0', target];
  // arping exits 1 when some request went unanswered; the lost ones simply have no time.
  const { stdout } = await runInNetns(NS_C, 'arping', args, { timeoutMs: 120_000, noAnswerCodes: [1] });
  return [...stdout.matchAll(/time=([0-9.]+) (usec|msec)/g)].map((m) => Number(m[1]) * (m[2] === 'msec' ? 1000 : 1));
}

async function blast(
  target: string,
  rate: number,
  count: number,
): Promise<{ sent: number; answered: number; seconds: number }> {
  const { stdout } = await execFileP(
    'ip',
    [
      'netns',
      'exec',
      NS_C,
      process.execPath,
      '--import',
      'tsx',
      join(here, 'arp-blaster.ts'),
      target,
      String(rate),
      String(count),
    ],
    { timeout: 120_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { sent: number; answered: number; seconds: number };
}

/**
 * Highest tried rate at which every request was answered; `clientLimited` when the sender could
 * not keep a rate up (then the answerer was not the limit and the row says so).
 */
async function maxLossless(
  target: string,
  rates: number[],
  seconds: number,
): Promise<{ best: number; clientLimited: boolean }> {
  let best = 0;
  for (const rate of rates) {
    const r = await blast(target, rate, Math.round(rate * seconds));
    if (r.seconds > seconds * 1.25) return { best, clientLimited: true };
    if (r.answered < r.sent) break;
    best = rate;
  }
  return { best, clientLimited: false };
}

export async function arpResponder(): Promise<Row[]> {
  await setup();
  const responder = spawn(
    'ip',
    ['netns', 'exec', NS_R, process.execPath, '--import', 'tsx', join(here, 'l2-responder.ts'), 'eth0', VIP],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  trackChild(responder);
  try {
    await new Promise<void>((resolve) => responder.stdout?.once('data', () => resolve()));
    const n = 300;
    const kernel = await arpingTimes(KERNEL_IP, n);
    const ours = await arpingTimes(VIP, n);
    // Raised until each side loses, so the ratio compares limits, not the highest rate tried.
    const rates = [5_000, 10_000, 20_000, 40_000, 80_000, 160_000];
    const kernelLimit = await maxLossless(KERNEL_IP, rates, 1);
    const ourLimit = await maxLossless(VIP, rates, 1);
    const [kernelRate, ourRate] = [kernelLimit.best, ourLimit.best];
    const limit = (m: { clientLimited: boolean }) => (m.clientLimited ? ' (client could send no faster)' : '');
    const us = (x: number) => `${x.toFixed(0)} us`;
    return [
      {
        name: `ARP reply latency p50 (${ours.length}/${n} answered)`,
        value: us(percentile(ours, 50)),
        baseline: `${us(percentile(kernel, 50))} (kernel, own address, same veth)`,
        ratio: (percentile(ours, 50) / percentile(kernel, 50)).toFixed(2),
        target: '<= 1.5',
      },
      {
        name: 'ARP reply latency p99',
        value: us(percentile(ours, 99)),
        baseline: `${us(percentile(kernel, 99))} (kernel)`,
        ratio: (percentile(ours, 99) / percentile(kernel, 99)).toFixed(2),
      },
      {
        name: `ARP requests/s answered without loss (tried ${rates.join(', ')} until one is lost; 1 s each)`,
        value: `${ourRate}/s${limit(ourLimit)}`,
        baseline: `${kernelRate}/s (kernel)${limit(kernelLimit)}`,
        // Cost over the baseline's, as in every row: the kernel's rate over ours.
        ratio: ourRate ? (kernelRate / ourRate).toFixed(2) : '-',
        target: '>= 20000/s',
      },
    ];
  } finally {
    await stopProcess(responder, 3_000);
    await teardown();
  }
}
