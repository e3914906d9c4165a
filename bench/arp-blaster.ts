// Runs inside the client namespace: sends `count` ARP requests for `target` at `rate` per
// second through pcap and counts the replies. Prints {sent, answered}. Bounded in count and time.
import pcap from 'pcap';
import { encodeArp, ARP_REQUEST, ARP_REPLY, decodeArp } from '../src/l2/codec/arp.js';
import { encodeEthernet, decodeEthernet, ETHERTYPE_ARP } from '../src/l2/codec/ethernet.js';
import { BROADCAST, ZERO_MAC, parseMac } from '../src/l2/codec/mac.js';
import { parseIPv4 } from '../src/ipam/address.js';

const [target = '', rateText = '1000', countText = '1000', macText = '02:00:00:00:00:c0'] = process.argv.slice(2);
const rate = Number(rateText);
const count = Math.min(Number(countText), 200_000);
const mac = parseMac(macText) as Uint8Array;
const targetIP = Number(parseIPv4(target));
const SENDER = Number(parseIPv4('192.0.2.100'));
type Session = {
  on(e: 'packet', cb: (p: { buf: Buffer; header: Buffer }) => void): void;
  inject(b: Buffer): void;
  close(): void;
  session: { dispatch(a: Buffer, b: Buffer): number };
  buf: Buffer;
  header: Buffer;
};
const s = pcap.createSession('eth0', {
  filter: 'arp and arp[6:2] = 2',
  promiscuous: false,
  buffer_timeout: 0,
  buffer_size: 64 * 1024 * 1024,
}) as unknown as Session;
let replies = 0;
s.on('packet', (p) => {
  const e = decodeEthernet(p.buf.subarray(0, p.header.readUInt32LE(8)));
  if (!e.ok || e.value.etherType !== ETHERTYPE_ARP) return;
  const a = decodeArp(e.value.payload);
  if (a.ok && a.value.operation === ARP_REPLY && a.value.senderIP === targetIP) replies++;
});
const frame = (): Buffer =>
  Buffer.from(
    encodeEthernet({
      dst: BROADCAST,
      src: mac,
      etherType: ETHERTYPE_ARP,
      // One sender address: distinct ones would fill the kernel's neighbour table (gc_thresh3).
      payload: encodeArp({ operation: ARP_REQUEST, senderMac: mac, senderIP: SENDER, targetMac: ZERO_MAC, targetIP }),
    }),
  );
const t0 = performance.now();
let sent = 0;
while (sent < count) {
  const due = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
  for (; sent < due; sent++) s.inject(frame());
  await new Promise((r) => setImmediate(r));
}
const elapsed = (performance.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, 500));
s.close();
s.session.dispatch(s.buf, s.header);
console.log(JSON.stringify({ sent, answered: replies, seconds: elapsed }));
process.exit(0); // bounded: do not wait on any handle libpcap may still hold
