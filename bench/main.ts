// `npm run bench [-- --only NAME] [-- --write]`: runs the benchmarks, prints a table of values,
// same-run baselines and ratios, and with --write replaces docs/benchmarks.md.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { allocatorOnIPv6Slash64, conflictCheck, type Row } from './ipam-micro.js';
import { services5000 } from './ipam-5000.js';
import { arpResponder } from './l2.js';
import { takeoverAndApiLoad } from './l2-cluster.js';
import { webhookAttack } from './webhook-attack.js';

const suites: Record<string, () => Row[] | Promise<Row[]>> = {
  'ipam-allocator': () => allocatorOnIPv6Slash64(),
  'ipam-conflicts': () => conflictCheck(),
  'ipam-5000-services': () => services5000(),
  'l2-arp': () => arpResponder(),
  'l2-cluster': () => takeoverAndApiLoad(),
  'webhook-attack': () => webhookAttack(),
};

const { values } = parseArgs({ options: { only: { type: 'string', multiple: true }, write: { type: 'boolean' } } });
const chosen = Object.keys(suites).filter((k) => !values.only || values.only.includes(k));
const rows: Array<Row & { suite: string }> = [];
for (const name of chosen) {
  console.error(`bench: ${name} ...`);
  try {
    for (const row of await (suites[name] as () => Promise<Row[]>)()) rows.push({ suite: name, ...row });
  } catch (err) {
    rows.push({
      suite: name,
      name: 'failed',
      value: String((err as Error).message).split('\n')[0] ?? '',
      baseline: '-',
      ratio: '-',
    });
  }
}
const table = [
  '| suite | measurement | value | baseline (same run) | ratio | target |',
  '|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.suite} | ${r.name} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target ?? ''} |`),
].join('\n');
console.log(table);
if (values.write) {
  const cmd = `npm run bench${values.only ? ` -- ${values.only.map((o) => `--only ${o}`).join(' ')}` : ''} -- --write`;
  writeFileSync(
    new URL('../docs/benchmarks.md', import.meta.url),
    `# Benchmarks

Latest results, produced by \`${cmd}\` on ${new Date().toISOString().slice(0, 10)}
(${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}).
Every baseline is measured in the same run on the same machine, timed the same way as the value
it is compared with. A ratio is always lanlb's cost over the baseline's (time over time, or for a
rate the baseline's rate over lanlb's): 1 is as good as the baseline, above 1 costlier. Goals
are in the target column, never in the baseline column. For the 5,000-Service run the baseline
is a plain client doing only the status patches; floor and controller each run on a fresh
kube-apiserver + etcd (alternating, two rounds, best of each). ARP is measured on veth pairs in
namespaces the benchmark creates, against the kernel answering for its own address on the same
interface; request rates are raised until a side loses an answer. Takeover times are compared
with the kernel's own address moved by hand between two nodes, seen by the same client probe.
Known gap: ARP reply latency (a userspace libpcap round trip) is far above the 1.5x-kernel
target.

${table}
`,
  );
  console.error('bench: wrote docs/benchmarks.md');
}
