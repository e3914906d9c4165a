// `npm run chaos:l2 [-- --seed N --minutes M --nodes K --services S --mean-gap-ms G]`: the L2
// chaos run (issue 29) on a fresh bed (real kube-apiserver, controller and K announcers under the
// shipped RBAC, in network namespaces on one bridge): seeded faults overlapping in time, every
// VIP probed every 50 ms, then the invariants. Prints the table for docs/benchmarks.md; exits 1
// on a violation, with the seed, the faults around it and the recording to replay it (the run's
// directory also keeps every process's log, processes.log).
import { parseArgs } from 'node:util';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChaosBed } from '../src/devcluster/l2-chaos/bed.js';
import { runChaos } from '../src/devcluster/l2-chaos/run.js';
import { describeViolation, framesAround, kindTable, summary } from '../src/devcluster/l2-chaos/report.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    minutes: { type: 'string' },
    nodes: { type: 'string' },
    services: { type: 'string' },
    'mean-gap-ms': { type: 'string' },
    verbose: { type: 'boolean' },
  },
});
const seed = Number(values.seed ?? Date.now() % 1_000_000);
const minutes = Math.min(Number(values.minutes ?? 30), 240);
const dir = mkdtempSync(join(tmpdir(), `lanlb-chaos-l2-${seed}-`));
const bed = new ChaosBed({
  nodes: Number(values.nodes ?? 5),
  onLog: (who, line) => {
    // Every process's log goes to processes.log in the run's directory, for replay; errors, and
    // anything not a JSON log line (a crash's stack, an exit), to the terminal too.
    appendFileSync(join(dir, 'processes.log'), `${new Date().toISOString()} ${who}: ${line}\n`);
    if (values.verbose || !line.startsWith('{') || /"level":"(error|fatal)"/.test(line))
      console.error(`${who}: ${line}`);
  },
});
let code = 0;
try {
  await bed.start();
  const started = Date.now();
  const result = await runChaos(bed, {
    seed,
    minutes,
    dir,
    services: values.services ? Number(values.services) : undefined,
    meanGapMs: values['mean-gap-ms'] ? Number(values['mean-gap-ms']) : undefined,
    log: (l) => console.error(l),
  });
  const wall = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(`\nL2 chaos, ${minutes} min, ${bed.nodes.length} announcers, ${wall} min wall`);
  console.log(summary(result));
  console.log(`\n${kindTable(result)}\n`);
  for (const [i, v] of result.violations.entries()) {
    console.log(describeViolation(result, v));
    // The first few with the frames the bridge carried around them, for replay.
    if (i < 5) for (const line of await framesAround(result, v)) console.log(`  frame ${line}`);
  }
  code = result.violations.length ? 1 : 0;
} catch (err) {
  console.error(`chaos:l2 (seed ${seed}) could not run: ${String((err as Error)?.stack ?? err)}`);
  code = 2;
} finally {
  await bed.stop();
}
process.exit(code);
