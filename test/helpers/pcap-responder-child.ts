// Runs inside a test namespace: one PcapResponder (no answer thread) answering for the addresses
// on argv on eth0, to tell the addon's native ARP answer from the JavaScript path. On stdin
// "counts" prints, as JSON, the replies counted so far by JavaScript, then the same after the
// addon's counts are taken, and how many frames JavaScript was handed (onFrame); "close" closes.
import { createInterface } from 'node:readline';
import { PcapResponder } from '../../src/l2/responder/pcap-responder.js';
import { parseAddress } from '../../src/ipam/address.js';
import { readLink } from '../../src/l2/responder/link.js';

const [iface = 'eth0', ...addrs] = process.argv.slice(2);
const link = readLink(iface);
if (!link) throw new Error(`interface ${iface} not found`);
let frames = 0;
const r = new PcapResponder({ iface, mac: link.mac, announceSchedule: [], onFrame: () => frames++ });
await r.set(addrs.flatMap((a) => parseAddress(a) ?? []));
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'counts') {
    const byJavaScript = r.counters.replies;
    r.takeNativeCounts();
    console.log(JSON.stringify({ byJavaScript, afterTake: r.counters.replies, frames }));
  } else if (line === 'close') {
    await r.close();
    process.exit(0);
  }
}
