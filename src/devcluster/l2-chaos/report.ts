// The chaos run's report (issue 29): a table per fault kind (count, worst and p99 dark time,
// two-MAC time) with the seed, and for each violation what is needed to replay it: the seed, the
// faults around it, and where the recording and the bridge capture are.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChaosResult } from './run.js';
import type { FaultWindow, Violation } from './invariants.js';
import { runProgram } from '../run-program.js';
import { parseAddress } from '../../ipam/address.js';

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function kindTable(r: ChaosResult): string {
  const lines = [
    '| fault | count | dark worst | dark p99 | two-MAC time (sum over VIPs) |',
    '|---|---|---|---|---|',
    ...[...r.rows]
      .sort((a, b) => b.count - a.count)
      .map((k) => `| ${k.kind} | ${k.count} | ${s(k.worstDarkMs)} | ${s(k.p99DarkMs)} | ${s(k.twoMacMs)} |`),
  ];
  return lines.join('\n');
}

export function summary(r: ChaosResult): string {
  const alive = r.health.filter((h) => h.alive).length;
  const rss = Math.max(...r.health.filter((h) => h.who !== 'controller').map((h) => h.rssMiB));
  const fds = Math.max(...r.health.map((h) => h.fds));
  return (
    `seed ${r.seed}: ${r.faults.length} faults (${r.skipped} skipped: no target), ` +
    `${r.violations.length} invariant violations; ${alive}/${r.health.length} processes running at the end, ` +
    `largest announcer RSS ${rss.toFixed(0)} MiB, most open fds ${fds}`
  );
}

/** A violation with the faults within 15 s before it and 5 s after, for replay. */
export function describeViolation(r: ChaosResult, v: Violation): string {
  const near = r.faults.filter((f) => f.start <= v.t + 5_000 && f.end >= v.t - 15_000);
  const at = new Date(v.t).toISOString();
  return [
    `VIOLATION ${v.invariant} at ${at}: ${v.detail}`,
    `  replay: npm run chaos:l2 -- --seed ${r.seed} (same plan); recording ${r.dir}/recording.json,` +
      ` bridge capture ${r.dir}/bridge.pcap* (tcpdump -r, frames around ${at})`,
    ...near.map((f) => `  fault ${timeline(f, v.t)}`),
  ].join('\n');
}

function timeline(f: FaultWindow, t: number): string {
  return (
    `#${f.id} ${f.kind} on ${f.node ?? f.service ?? 'the cluster'}: ` +
    `${((f.start - t) / 1000).toFixed(2)} s .. ${((f.end - t) / 1000).toFixed(2)} s` +
    (f.detail ? ` (${f.detail})` : '')
  );
}

/**
 * The bridge capture's frames within a second of the violation that name its VIP (ARP and NDP,
 * with MACs), from the ring of pcap files the run kept.
 */
export async function framesAround(r: ChaosResult, v: Violation): Promise<string[]> {
  if (!v.vip) return [];
  const files = readdirSync(r.dir).filter((f) => f.startsWith('bridge.pcap'));
  const lines: string[] = [];
  for (const f of files.sort()) {
    const out: { stdout: string } = await runProgram(
      'tcpdump',
      ['-r', join(r.dir, f), '-nn', '-e', '-tt', aboutAddress(v.vip)],
      {
        timeoutMs: 60_000,
      },
    ).catch(() => ({ stdout: '' }));
    for (const line of out.stdout.split('\n')) {
      const t = Number(line.slice(0, line.indexOf(' '))) * 1000;
      if (Math.abs(t - v.t) <= 1_000 && line.includes(v.vip)) lines.push(line);
    }
  }
  return lines.slice(0, 40);
}

/** A capture filter for ARP about an IPv4 address, or NS/NA whose target is an IPv6 one. */
export function aboutAddress(vip: string): string {
  const a = parseAddress(vip);
  if (!a || a.family === 4) return `arp host ${vip}`;
  const words = [96n, 64n, 32n, 0n].map((shift) => (a.value >> shift) & 0xffffffffn);
  const target = words.map((w, i) => `ip6[${48 + 4 * i}:4] = 0x${w.toString(16)}`).join(' and ');
  return `icmp6 and (ip6[40] = 135 or ip6[40] = 136) and ${target}`;
}
