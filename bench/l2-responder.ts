// Runs inside a benchmark namespace: answers for the addresses given on argv until SIGTERM.
import { PcapResponder } from '../src/l2/responder/pcap-responder.js';
import { parseAddress } from '../src/ipam/address.js';
import { readLink } from '../src/l2/responder/link.js';

const [iface = 'eth0', ...addrs] = process.argv.slice(2);
const link = readLink(iface);
if (!link) throw new Error(`interface ${iface} not found`);
const r = new PcapResponder({ iface, mac: link.mac, announceSchedule: [] });
await r.set(
  addrs.flatMap((a) => {
    const p = parseAddress(a);
    return p ? [{ family: p.family, value: p.value }] : [];
  }),
);
console.log('ready');
process.once('SIGTERM', () => {
  void r.close().then(() => {
    console.log(JSON.stringify(r.counters));
    process.exit(0);
  });
});
