// The chaos run's client (issue 29), run inside the client namespace: every 50 ms it asks for
// every VIP (an ARP request, a Neighbor Solicitation for IPv6 ones) through libpcap and records
// which MACs answered its requests, one JSON line per round on stdout: {"t": ms, "a": {"vip": ["mac"]}}.
// VIPs come on stdin ("vips a,b,c"); it stops on "stop", on stdin's end, or after its bound.
import pcap from 'pcap';
import { createInterface } from 'node:readline';
import { decodeArp, encodeArp, ARP_REQUEST } from '../../l2/codec/arp.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from '../../l2/codec/ethernet.js';
import { BROADCAST, ZERO_MAC, formatMac, parseMac } from '../../l2/codec/mac.js';
import {
  decodeNdp,
  encodeNdp,
  ipv6MulticastMac,
  NDP_HOP_LIMIT,
  NEIGHBOR_SOLICITATION,
  solicitedNodeMulticast,
} from '../../l2/codec/ndp.js';
import { decodeAnswer } from '../../l2/codec/probe.js';
import { parseAddress } from '../../ipam/address.js';

const [iface = 'eth0', macText = '02:00:00:00:00:c0', v4 = '192.0.2.100', v6 = '2001:db8::100', boundMin = '60'] =
  process.argv.slice(2);
const PERIOD_MS = 50;
const mac = parseMac(macText) as Uint8Array;
const ours4 = parseAddress(v4)?.value ?? 0n;
const ours6 = parseAddress(v6)?.value ?? 0n;

type Session = {
  on(e: 'packet', cb: (p: { buf: Buffer; header: Buffer }) => void): void;
  inject(b: Buffer): void;
  close(): void;
};
const session = pcap.createSession(iface, {
  filter: 'arp or (icmp6 and ip6[40] = 136)',
  promiscuous: false,
  buffer_timeout: 0,
}) as unknown as Session;

/** the VIPs asked for, by family and value ("4:n" / "6:n") */
let vips = new Map<string, { text: string; request: Buffer }>();
let round: Record<string, string[]> = {};

function request(text: string): Buffer | undefined {
  const a = parseAddress(text);
  if (!a) return undefined;
  if (a.family === 4) {
    const payload = encodeArp({
      operation: ARP_REQUEST,
      senderMac: mac,
      senderIP: Number(ours4),
      targetMac: ZERO_MAC,
      targetIP: Number(a.value),
    });
    return Buffer.from(encodeEthernet({ dst: BROADCAST, src: mac, etherType: ETHERTYPE_ARP, payload }));
  }
  const group = solicitedNodeMulticast(a.value);
  const payload = encodeNdp({
    src: ours6,
    dst: group,
    hopLimit: NDP_HOP_LIMIT,
    message: { type: NEIGHBOR_SOLICITATION, target: a.value, sourceLinkLayer: mac },
  });
  return Buffer.from(encodeEthernet({ dst: ipv6MulticastMac(group), src: mac, etherType: ETHERTYPE_IPV6, payload }));
}

/**
 * An answer to this client's own request: an ARP reply to its address, a Neighbor Advertisement
 * sent to its address. Gratuitous ARP and unsolicited NA (a new holder announcing itself) are not
 * answers: two MACs answering one request is the fault, a successor's announcement is not.
 */
function answerToUs(frame: Uint8Array): ReturnType<typeof decodeAnswer> {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return undefined;
  if (eth.value.etherType === ETHERTYPE_ARP) {
    const arp = decodeArp(eth.value.payload);
    if (!arp.ok || BigInt(arp.value.targetIP) !== ours4) return undefined;
  } else {
    const ndp = decodeNdp(eth.value.payload);
    if (!ndp.ok || ndp.value.dst !== ours6) return undefined;
  }
  return decodeAnswer(frame);
}

session.on('packet', (p) => {
  const answer = answerToUs(p.buf.subarray(0, p.header.readUInt32LE(8)));
  if (!answer) return;
  const vip = vips.get(`${answer.family}:${answer.address}`);
  if (!vip) return;
  const who = formatMac(answer.mac);
  const seen = (round[vip.text] ??= []);
  if (!seen.includes(who)) seen.push(who);
});

createInterface({ input: process.stdin }).on('line', (line) => {
  const [verb, arg = ''] = line.trim().split(/\s+/);
  if (verb === 'stop') finish();
  if (verb !== 'vips') return;
  const next = new Map<string, { text: string; request: Buffer }>();
  for (const text of arg.split(',').filter(Boolean)) {
    const a = parseAddress(text);
    const frame = request(text);
    if (a && frame) next.set(`${a.family}:${a.value}`, { text, request: frame });
  }
  vips = next;
});
process.stdin.on('end', () => finish());

let last = 0;
const ticker = setInterval(() => {
  const now = performance.timeOrigin + performance.now();
  if (last) process.stdout.write(`${JSON.stringify({ t: Math.round(last), a: round })}\n`);
  round = {};
  last = now;
  for (const v of vips.values()) session.inject(v.request);
}, PERIOD_MS);
const bound = setTimeout(() => finish(), Number(boundMin) * 60_000);

function finish(): void {
  clearInterval(ticker);
  clearTimeout(bound);
  session.close();
  process.exit(0); // bounded: do not wait on any handle libpcap may still hold
}
