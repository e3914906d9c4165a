// `npm run bench [-- --only NAME] [-- --write]`: runs the benchmarks, prints a table of values,
// same-run baselines and ratios, and with --write replaces docs/benchmarks.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { allocatorOnIPv6Slash64, conflictCheck, type Row } from './ipam-micro.js';
import { services5000 } from './ipam-5000.js';
import { arpResponder } from './l2.js';
import { answerLatencyAgainstPeer } from './l2-answer.js';
import { answerLatencyUnderChurn } from './l2-churn.js';
import { takeoverAndApiLoad } from './l2-cluster.js';
import { announcerApiLoad } from './l2-api-load.js';
import { scaleApiLoad } from './scale.js';
import { scaleWire } from './scale-wire.js';
import { memoryFootprint } from './memory.js';
import { webhookAttack } from './webhook-attack.js';

const suites: Record<string, () => Row[] | Promise<Row[]>> = {
  'ipam-allocator': () => allocatorOnIPv6Slash64(),
  'ipam-conflicts': () => conflictCheck(),
  'ipam-5000-services': () => services5000(),
  'l2-arp': () => arpResponder(),
  'l2-answer': () => answerLatencyAgainstPeer(),
  'l2-churn': () => answerLatencyUnderChurn(),
  'l2-cluster': () => takeoverAndApiLoad(),
  'l2-api-load': () => announcerApiLoad(),
  // LANLB_BENCH_SCALE_PARTS=api or wire runs one half (both by default).
  scale: async () => {
    const parts = (process.env.LANLB_BENCH_SCALE_PARTS ?? 'api,wire').split(',');
    return [
      ...(parts.includes('api') ? await scaleApiLoad() : []),
      ...(parts.includes('wire') ? await scaleWire() : []),
    ];
  },
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
const TABLE_HEAD = '| suite | measurement | value | baseline (same run) | ratio | target |';
const DOC = new URL('../docs/benchmarks.md', import.meta.url);
const line = (r: Row & { suite: string }) =>
  `| ${r.suite} | ${r.name} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target ?? ''} |`;
console.log(rows.map(line).join('\n'));

/**
 * The document with the rows of the suites run now in place of their old ones (new suites at the
 * end of the table); every other line, notes and other tables included, stays as it was.
 */
function updated(doc: string): string {
  const lines = doc.split('\n');
  const ours = (l: string) => chosen.some((suite) => l.startsWith(`| ${suite} |`));
  const at = lines.findIndex(ours);
  const kept = lines.filter((l) => !ours(l));
  const tableEnd = kept.findIndex((l, i) => i > 0 && kept[i - 1]?.startsWith('|') && !l.startsWith('|'));
  const where = at >= 0 ? at : tableEnd >= 0 ? tableEnd : kept.length;
  kept.splice(where, 0, ...rows.map(line));
  return kept.join('\n');
}

if (values.write) {
  const cmd = `npm run bench${values.only ? ` -- ${values.only.map((o) => `--only ${o}`).join(' ')}` : ''} -- --write`;
  const doc = existsSync(DOC)
    ? readFileSync(DOC, 'utf8')
    : ['# Benchmarks', '', TABLE_HEAD, '|---|---|---|---|---|---|', ''].join('\n');
  writeFileSync(DOC, updated(doc));
  const what = `${chosen.join(', ')} in docs/benchmarks.md`;
  console.error(`bench: updated the rows of ${what}; note \`${cmd}\` (${cpus().length} cores) in its header`);
}
