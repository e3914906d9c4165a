// Runs inside a benchmark namespace: lanlb's answer path timed stage by stage, with the capture
// options and filter of PcapResponder, for `npm run bench -- --only l2-answer`. Two paths:
//   native: the addon answers the ARP request in its poll callback (packages/pcap/lanlb_answer.h)
//           and records, per answer, kernel stamp -> read in the poll callback, build, inject;
//   js:     the path every frame the addon does not answer takes (VLAN-tagged ones), with the
//           native answer off: kernel stamp -> the JavaScript packet callback, decode
//           (decodeRequest), encode (encodeReply; replyFor is the two), inject.
// Kernel stamps are libpcap's capture timestamps (CLOCK_REALTIME, µs); inject returns after the
// kernel has also delivered the frame through the veth pair, so most of it comes after the reply
// has left. Prints "ready", answers for the address on argv until SIGTERM, then the samples (µs).
import pcap from 'pcap';
import { performance } from 'node:perf_hooks';
import { CAPTURE_FILTER } from '../src/l2/codec/bpf-filter.js';
import { decodeRequest, encodeReply } from '../src/l2/codec/frames.js';
import { parseAddress } from '../src/ipam/address.js';
import { readLink } from '../src/l2/responder/link.js';
import { nativeAddresses } from '../src/l2/responder/pcap-responder.js';
import type { PcapSession } from '../src/l2/responder/pcap-addon.js';

const [iface = 'eth0', address = '', path = 'native'] = process.argv.slice(2);
const link = readLink(iface);
const target = parseAddress(address);
if (!link || !target || target.family !== 4 || (path !== 'native' && path !== 'js'))
  throw new Error(`usage: l2-stages.ts INTERFACE IPV4 native|js (${iface} ${address} ${path})`);
const wanted = target.value;

type StageSamples = Record<string, number[]>;
const stages: StageSamples = {};
const sample = (stage: string, us: number) => (stages[stage] ??= []).push(us);

const options = { filter: CAPTURE_FILTER, promiscuous: false, buffer_timeout: 0, snap_length: 256 };
const session = pcap.createSession(iface, options) as unknown as PcapSession;
const { v4, v6 } = nativeAddresses([target]);
session.session.lanlb_answers(path === 'native', false, Buffer.from(link.mac), v4, v6);
session.session.lanlb_answer_timing(true);

/** The wall clock in µs, as near as this thread reads it (timeOrigin + monotonic). */
const nowMicros = () => (performance.timeOrigin + performance.now()) * 1000;

session.on('packet', (p) => {
  const entered = nowMicros();
  const t0 = performance.now();
  const req = decodeRequest(p.buf.subarray(0, p.header.readUInt32LE(8)));
  if (!req.ok || req.value.family !== 4 || req.value.target !== wanted) return;
  const t1 = performance.now();
  const reply = encodeReply(req.value, link.mac);
  const t2 = performance.now();
  session.inject(Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength));
  const t3 = performance.now();
  sample('kernel to JavaScript', entered - (p.header.readUInt32LE(0) * 1e6 + p.header.readUInt32LE(4)));
  sample('decode', (t1 - t0) * 1000);
  sample('encode', (t2 - t1) * 1000);
  sample('inject', (t3 - t2) * 1000);
});
console.log('ready');
process.once('SIGTERM', () => {
  const t = session.session.lanlb_answer_timing(false) ?? new Float64Array();
  for (let i = 0; i + 2 < t.length; i += 3) {
    sample('kernel to poll callback', t[i] ?? 0);
    sample('check + build', t[i + 1] ?? 0);
    sample('inject', t[i + 2] ?? 0);
  }
  console.log(JSON.stringify(stages));
  process.exit(0);
});
