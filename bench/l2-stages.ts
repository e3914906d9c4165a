// Runs inside a benchmark namespace: the PcapResponder's answer path (same capture options, same
// filter, the same ARP fast path) timed on this thread's monotonic clock, for `npm run bench --
// --only l2-answer`: decode + encode, and inject (pcap_inject returns after the kernel has also
// delivered the frame through the veth pair, so most of it comes after the reply has left).
// Prints "ready", answers for the address on argv until SIGTERM, then the samples (µs) as JSON.
import pcap from 'pcap';
import { performance } from 'node:perf_hooks';
import { CAPTURE_FILTER } from '../src/l2/codec/bpf-filter.js';
import { fastArpReply } from '../src/l2/codec/arp-fast.js';
import { parseAddress } from '../src/ipam/address.js';
import { readLink } from '../src/l2/responder/link.js';

const [iface = 'eth0', address = ''] = process.argv.slice(2);
const link = readLink(iface);
const target = parseAddress(address);
if (!link || !target || target.family !== 4)
  throw new Error(`usage: l2-stages.ts INTERFACE IPV4 (${iface} ${address})`);
const wanted = Number(target.value);

const stages = { codec: [] as number[], inject: [] as number[] };
const options = { filter: CAPTURE_FILTER, promiscuous: false, buffer_timeout: 0, snap_length: 256 };
const session = pcap.createSession(iface, options) as unknown as {
  on(e: 'packet', cb: (p: { buf: Buffer; header: Buffer }) => void): void;
  inject(b: Buffer): void;
};
session.on('packet', (p) => {
  const t0 = performance.now();
  // The responder's path for an untagged ARP request (PcapResponder tries it first).
  const reply = fastArpReply(p.buf.subarray(0, p.header.readUInt32LE(8)), (ip) => ip === wanted, link.mac);
  const t1 = performance.now();
  if (!reply) return;
  session.inject(Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength));
  const t2 = performance.now();
  stages.codec.push((t1 - t0) * 1000);
  stages.inject.push((t2 - t1) * 1000);
});
console.log('ready');
process.once('SIGTERM', () => {
  console.log(JSON.stringify(stages));
  process.exit(0);
});
