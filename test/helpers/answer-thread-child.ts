// Runs inside a test namespace: lanlb's answer thread answering for the addresses on argv on
// eth0, with heartbeat frames on, as `lanlb announcer` runs it. Commands on stdin, one a line:
// "block MS" spins this (main) thread for MS ms, the way a relist or a long GC pause would;
// "end-thread" ends the answer thread under it; "exit" exits at once with the capture still
// open; "close" closes everything, then exits.
// LANLB_TEST_WEDGED_MS sets how long a blocked main thread takes to count as wedged; the
// thread's fatal report (the answer thread died or went dark) exits with code 3.
// LANLB_TEST_REALTIME asks for that SCHED_RR priority; the outcome is printed ("priority N ...").
// LANLB_TEST_NODE and LANLB_TEST_KEY (one byte, repeated) name this node and its heartbeat key;
// peers' heartbeats the thread passes on are printed ("heard NODE MAC"), with the outcomes
// counted ("outcomes {...}"); "frames" prints how many heartbeat frames reached this thread as frames.
import { createInterface } from 'node:readline';
import type { Worker } from 'node:worker_threads';
import { AnswerThread } from '../../src/l2/responder/answer-thread.js';
import { parseAddress } from '../../src/ipam/address.js';
import { readLink } from '../../src/l2/responder/link.js';

const [iface = 'eth0', ...addrs] = process.argv.slice(2);
const link = readLink(iface);
if (!link) throw new Error(`interface ${iface} not found`);
const thread = new AnswerThread({
  ...(process.env.LANLB_TEST_WEDGED_MS ? { wedgedAfterMs: Number(process.env.LANLB_TEST_WEDGED_MS) } : {}),
  ...(process.env.LANLB_TEST_REALTIME ? { realtimePriority: Number(process.env.LANLB_TEST_REALTIME) } : {}),
  onPriority: (priority, refused) => console.log(`priority ${priority} ${refused ?? 'applied'}`),
  onFatal: (err) => {
    console.error(`fatal: ${err.message}`);
    process.exit(3);
  },
});
let heartbeatFrames = 0;
const r = thread.open({
  iface,
  mac: link.mac,
  announceSchedule: [],
  onFrame: (f) => (heartbeatFrames += f[12] === 0x88 && f[13] === 0xb5 ? 1 : 0),
});
await r.set(addrs.flatMap((a) => parseAddress(a) ?? []));
const heard = new Set<string>();
thread.onHeard((b) => {
  for (const p of b.peers) if (!heard.has(p.heartbeat.node)) heard.add(p.heartbeat.node);
  for (const p of b.peers) console.log(`heard ${p.heartbeat.node} ${p.mac} ${Math.round(p.ageMs)}`);
  if (b.counts.length) console.log(`outcomes ${JSON.stringify(Object.fromEntries(b.counts))}`);
});
const key = new Uint8Array(32).fill(Number(process.env.LANLB_TEST_KEY ?? 7));
thread.heartbeats({ node: process.env.LANLB_TEST_NODE ?? 'child', incarnation: 1, intervalMs: 50, key });
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.split(' ');
  if (cmd === 'block') {
    const until = Date.now() + Number(arg);
    while (Date.now() < until); // the main thread does nothing else meanwhile
    console.log('unblocked');
  } else if (cmd === 'end-thread') {
    // The thread ends under the process (as a crash in it would): AnswerThread must notice.
    void (thread as unknown as { thread?: Worker }).thread?.terminate();
  } else if (cmd === 'frames') {
    console.log(`frames ${heartbeatFrames}`);
  } else if (cmd === 'exit') {
    process.exit(0);
  } else if (cmd === 'close') {
    await r.close();
    await thread.close();
    console.log(JSON.stringify(r.counters));
    process.exit(0);
  }
}
