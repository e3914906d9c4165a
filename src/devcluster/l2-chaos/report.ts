// The chaos run's report (issue 29): a table per fault kind (count, worst and p99 dark time,
// two-MAC time) with the seed, and for each violation what is needed to replay it: the seed, the
// faults around it, and where the recording and the bridge capture are.
import type { ChaosResult } from './run.js';
import type { FaultWindow, Violation } from './invariants.js';

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
