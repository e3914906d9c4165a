// `npm run bench [-- --only NAME] [-- --write]`: runs the benchmarks, prints a table of values,
// same-run baselines and ratios, and with --write replaces docs/benchmarks.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { allocatorOnIPv6Slash64, conflictCheck, type Row } from './ipam-micro.js';
import { services5000 } from './ipam-5000.js';
import { arpResponder } from './l2.js';
import { takeoverAndApiLoad } from './l2-cluster.js';
import { announcerApiLoad } from './l2-api-load.js';
import { memoryFootprint } from './memory.js';
import { webhookAttack } from './webhook-attack.js';

const suites: Record<string, () => Row[] | Promise<Row[]>> = {
  'ipam-allocator': () => allocatorOnIPv6Slash64(),
  'ipam-conflicts': () => conflictCheck(),
  'ipam-5000-services': () => services5000(),
  'l2-arp': () => arpResponder(),
  'l2-cluster': () => takeoverAndApiLoad(),
  'l2-api-load': () => announcerApiLoad(),
  memory: () => memoryFootprint(),
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
const DOC = new URL('../docs/benchmarks.md', import.meta.url);
const today = new Date().toISOString().slice(0, 10);
const cmd = `npm run bench${values.only ? ` -- ${values.only.map((o) => `--only ${o}`).join(' ')}` : ''} -- --write`;
const line = (r: Row & { suite: string }) =>
  `| ${r.suite} | ${r.name} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target ?? ''} |`;
/** Rows and run notes of suites not run now, kept from the file: --only replaces its suites only. */
function kept(): { rows: string[]; runs: string[] } {
  if (!existsSync(DOC)) return { rows: [], runs: [] };
  const text = readFileSync(DOC, 'utf8').split('\n');
  const other = (l: string, at: (l: string) => string | undefined) => {
    const suite = at(l);
    return suite !== undefined && !chosen.includes(suite);
  };
  return {
    rows: text.filter((l) => other(l, (x) => /^\| ([a-z0-9-]+) \|/.exec(x)?.[1])),
    runs: text.filter((l) => other(l, (x) => /^- `([a-z0-9-]+)`: /.exec(x)?.[1])),
  };
}
const old = kept();
const runs = [...old.runs, ...chosen.map((name) => `- \`${name}\`: \`${cmd}\` on ${today}`)];
const table = [
  '| suite | measurement | value | baseline (same run) | ratio | target |',
  '|---|---|---|---|---|---|',
  ...old.rows,
  ...rows.map(line),
].join('\n');
console.log(rows.map(line).join('\n'));
if (values.write) {
  writeFileSync(
    DOC,
    `# Benchmarks

Latest results per suite, each produced by the command listed with it (${cpus().length} cores,
${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}):

${runs.join('\n')}

Every baseline is measured in the same run on the same machine, timed the same way as the value
it is compared with. A ratio is always lanlb's cost over the baseline's (time over time, or for a
rate the baseline's rate over lanlb's): 1 is as good as the baseline, above 1 costlier. Goals
are in the target column, never in the baseline column. For the 5,000-Service run the baseline
is a plain client doing only the status patches; floor and controller each run on a fresh
kube-apiserver + etcd (alternating, two rounds, best of each). ARP is measured on veth pairs in
namespaces the benchmark creates, against the kernel answering for its own address on the same
interface; request rates are raised until a side loses an answer. Failover times are dark times
seen by a client probing every 50 ms, compared with the kernel's own address moved by hand
between two nodes, seen by the same probe. The announcers' API load is simulated on a real
kube-apiserver (their Lease watches, and the selected nodes' node-Lease renewals made by the
announcer's own code), against the previous design at 100 nodes.
Known gap: ARP reply latency (a userspace libpcap round trip) is far above the 1.5x-kernel
target.

${table}
`,
  );
  console.error('bench: wrote docs/benchmarks.md');
}
