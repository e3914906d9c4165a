// Runs inside a benchmark namespace: answers for the addresses given on argv until SIGTERM, on
// the answer thread as `lanlb announcer` runs it (src/l2/responder/answer-thread.ts).
import { AnswerThread } from '../src/l2/responder/answer-thread.js';
import { parseAddress } from '../src/ipam/address.js';
import { readLink } from '../src/l2/responder/link.js';

const [iface = 'eth0', ...addrs] = process.argv.slice(2);
const link = readLink(iface);
if (!link) throw new Error(`interface ${iface} not found`);
const thread = new AnswerThread({
  onFatal: (err) => {
    console.error(err);
    process.exit(1);
  },
});
const r = thread.open({ iface, mac: link.mac, announceSchedule: [] });
await r.set(addrs.flatMap((a) => parseAddress(a) ?? []));
console.log('ready');
const alive = setInterval(() => undefined, 60_000); // the answer thread alone keeps no process alive
process.once('SIGTERM', () => {
  void r.close().then(async () => {
    clearInterval(alive);
    await thread.close();
    console.log(JSON.stringify(r.counters));
    process.exit(0);
  });
});
