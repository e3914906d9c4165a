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
type Session = { on(e: 'packet', cb: (p: { buf: Buffer; header: Buffer }) => void): void; inject(b: Buffer): void; close(): void; session: { dispatch(a: Buffer, b: Buffer): number }; buf: Buffer; header: Buffer };
const s = pcap.createSession('eth0', { filter: 'arp and arp[6:2] = 2', promiscuous: false, buffer_timeout: 0, buffer_size: 64 * 1024 * 1024 }) as unknown as Session;
const seen = new Set<number>();
s.on('packet', (p) => {
  const e = decodeEthernet(p.buf.subarray(0, p.header.readUInt32LE(8)));
  if (!e.ok || e.value.etherType !== ETHERTYPE_ARP) return;
  const a = decodeArp(e.value.payload);
  // Each request carries its sequence number as the sender IP 198.51.100.0 + n (inside our namespaces only).
  if (a.ok && a.value.operation === ARP_REPLY && a.value.senderIP === targetIP) seen.add(a.value.targetIP - 0xc6336400);
});
const frame = (n: number): Buffer => Buffer.from(encodeEthernet({
  dst: BROADCAST, src: mac, etherType: ETHERTYPE_ARP,
  payload: encodeArp({ operation: ARP_REQUEST, senderMac: mac, senderIP: 0xc6336400 + (n % 65536), targetMac: ZERO_MAC, targetIP }),
}));
const t0 = performance.now();
let sent = 0;
while (sent < count) {
  const due = Math.min(count, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
  for (; sent < due; sent++) s.inject(frame(sent));
  await new Promise((r) => setImmediate(r));
}
const elapsed = (performance.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, 500));
s.close();
s.session.dispatch(s.buf, s.header);
console.log(JSON.stringify({ sent, answered: Math.min(seen.size, sent), seconds: elapsed, distinct: count > 65536 ? 'wraps' : 'exact' }));
