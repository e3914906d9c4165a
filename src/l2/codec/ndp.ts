// IPv6 Neighbor Solicitation and Advertisement (RFC 4861 sections 4.3, 4.4, 4.6.1) inside an
// IPv6 header (RFC 8200), with the ICMPv6 checksum over the pseudo-header (RFC 4443 2.3).
//
//  IPv6: 0 ver/tc/flow | 4 payload length | 6 next header | 7 hop limit | 8 source | 24 destination | 40
//  ICMPv6 (offsets from 40): 0 type | 1 code | 2 checksum | 4 flags+reserved | 8 target | 24 options
//  Option: 0 type | 1 length in 8-byte units | 2 data (for link-layer addresses, a 6-byte MAC)
import { invalid, ok, truncated, unsupported, type Decoded } from './result.js';
import type { Mac } from './mac.js';

export const ICMPV6 = 58;
export const NEIGHBOR_SOLICITATION = 135;
export const NEIGHBOR_ADVERTISEMENT = 136;
export const OPTION_SOURCE_LINK_LAYER = 1;
export const OPTION_TARGET_LINK_LAYER = 2;
/** RFC 4861 7.1.1/7.1.2: NDP messages are sent with hop limit 255 and dropped otherwise. */
export const NDP_HOP_LIMIT = 255;

const IP6_PAYLOAD_LENGTH = 4;
const IP6_NEXT_HEADER = IP6_PAYLOAD_LENGTH + 2;
const IP6_HOP_LIMIT = IP6_NEXT_HEADER + 1;
const IP6_SRC = IP6_HOP_LIMIT + 1;
const IP6_DST = IP6_SRC + 16;
export const IPV6_HEADER = IP6_DST + 16;
const ICMP_TYPE = 0;
const ICMP_CODE = ICMP_TYPE + 1;
const ICMP_CHECKSUM = ICMP_CODE + 1;
const ICMP_FLAGS = ICMP_CHECKSUM + 2;
const ICMP_TARGET = ICMP_FLAGS + 4;
const ICMP_OPTIONS = ICMP_TARGET + 16;

export interface NeighborSolicitation {
  type: typeof NEIGHBOR_SOLICITATION;
  target: bigint;
  sourceLinkLayer?: Mac;
}

export interface NeighborAdvertisement {
  type: typeof NEIGHBOR_ADVERTISEMENT;
  router: boolean;
  solicited: boolean;
  override: boolean;
  target: bigint;
  targetLinkLayer?: Mac;
}

export interface NdpPacket {
  src: bigint;
  dst: bigint;
  hopLimit: number;
  message: NeighborSolicitation | NeighborAdvertisement;
}

function readAddr(b: Uint8Array, at: number): bigint {
  let v = 0n;
  for (let i = 0; i < 16; i++) v = (v << 8n) | BigInt(b[at + i] ?? 0);
  return v;
}

function writeAddr(b: Uint8Array, at: number, v: bigint): void {
  for (let i = 15; i >= 0; i--) {
    b[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** RFC 4443 2.3: one's-complement sum over the pseudo-header and the ICMPv6 message. */
export function icmpv6Checksum(src: bigint, dst: bigint, icmp: Uint8Array): number {
  const pseudo = new Uint8Array(40);
  writeAddr(pseudo, 0, src);
  writeAddr(pseudo, 16, dst);
  new DataView(pseudo.buffer).setUint32(32, icmp.length);
  pseudo[39] = ICMPV6;
  let sum = 0;
  for (const part of [pseudo, icmp]) {
    for (let i = 0; i < part.length; i += 2) sum += ((part[i] ?? 0) << 8) | (part[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function decodeNdp(b: Uint8Array): Decoded<NdpPacket> {
  if (b.length < IPV6_HEADER) return truncated(`ipv6: ${b.length} bytes, need ${IPV6_HEADER}`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint8(0) >> 4 !== 6) return invalid(`ipv6: version ${v.getUint8(0) >> 4}`);
  const payloadLength = v.getUint16(IP6_PAYLOAD_LENGTH);
  if (IPV6_HEADER + payloadLength > b.length)
    return truncated(`ipv6: payload length ${payloadLength}, ${b.length - IPV6_HEADER} bytes present`);
  if (v.getUint8(IP6_NEXT_HEADER) !== ICMPV6)
    return unsupported(`ipv6: next header ${v.getUint8(IP6_NEXT_HEADER)} (extension headers are not parsed)`);
  const icmp = b.subarray(IPV6_HEADER, IPV6_HEADER + payloadLength);
  if (icmp.length < ICMP_OPTIONS) return truncated(`icmpv6: ${icmp.length} bytes, an NS/NA needs ${ICMP_OPTIONS}`);
  const type = icmp[ICMP_TYPE];
  if (type !== NEIGHBOR_SOLICITATION && type !== NEIGHBOR_ADVERTISEMENT) return unsupported(`icmpv6: type ${type}`);
  if (icmp[ICMP_CODE] !== 0) return invalid(`icmpv6: code ${icmp[ICMP_CODE]} for type ${type}`);
  const src = readAddr(b, IP6_SRC);
  const dst = readAddr(b, IP6_DST);
  if (icmpv6Checksum(src, dst, icmp) !== 0) return invalid('icmpv6: bad checksum');
  const hopLimit = v.getUint8(IP6_HOP_LIMIT);
  if (hopLimit !== NDP_HOP_LIMIT) return invalid(`ndp: hop limit ${hopLimit}, must be 255`);
  const options = decodeLinkLayerOptions(icmp.subarray(ICMP_OPTIONS));
  if (!options.ok) return options;
  const target = readAddr(icmp, ICMP_TARGET);
  if (type === NEIGHBOR_SOLICITATION) {
    return ok({
      src,
      dst,
      hopLimit,
      message: { type, target, sourceLinkLayer: options.value.get(OPTION_SOURCE_LINK_LAYER) },
    });
  }
  const flags = icmp[ICMP_FLAGS] ?? 0;
  return ok({
    src,
    dst,
    hopLimit,
    message: {
      type,
      router: (flags & 0x80) !== 0,
      solicited: (flags & 0x40) !== 0,
      override: (flags & 0x20) !== 0,
      target,
      targetLinkLayer: options.value.get(OPTION_TARGET_LINK_LAYER),
    },
  });
}

/** Link-layer address options by type; other options are skipped (RFC 4861 4.6). */
function decodeLinkLayerOptions(b: Uint8Array): Decoded<Map<number, Mac>> {
  const found = new Map<number, Mac>();
  let at = 0;
  while (at < b.length) {
    if (b.length - at < 2) return truncated('ndp option: header cut short');
    const type = b[at] ?? 0;
    const len = (b[at + 1] ?? 0) * 8;
    if (len === 0) return invalid('ndp option: length 0'); // RFC 4861 4.6: nodes MUST silently discard
    if (at + len > b.length) return truncated(`ndp option ${type}: ${len} bytes, ${b.length - at} present`);
    if ((type === OPTION_SOURCE_LINK_LAYER || type === OPTION_TARGET_LINK_LAYER) && len >= 8)
      found.set(type, b.slice(at + 2, at + 8));
    at += len;
  }
  return ok(found);
}

export function encodeNdp(p: NdpPacket): Uint8Array {
  const m = p.message;
  const mac = m.type === NEIGHBOR_SOLICITATION ? m.sourceLinkLayer : m.targetLinkLayer;
  const icmp = new Uint8Array(ICMP_OPTIONS + (mac ? 8 : 0));
  icmp[ICMP_TYPE] = m.type;
  if (m.type === NEIGHBOR_ADVERTISEMENT)
    icmp[ICMP_FLAGS] = (m.router ? 0x80 : 0) | (m.solicited ? 0x40 : 0) | (m.override ? 0x20 : 0);
  writeAddr(icmp, ICMP_TARGET, m.target);
  if (mac) {
    icmp[ICMP_OPTIONS] = m.type === NEIGHBOR_SOLICITATION ? OPTION_SOURCE_LINK_LAYER : OPTION_TARGET_LINK_LAYER;
    icmp[ICMP_OPTIONS + 1] = 1;
    icmp.set(mac, ICMP_OPTIONS + 2);
  }
  new DataView(icmp.buffer).setUint16(ICMP_CHECKSUM, icmpv6Checksum(p.src, p.dst, icmp));
  const out = new Uint8Array(IPV6_HEADER + icmp.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x60000000);
  v.setUint16(IP6_PAYLOAD_LENGTH, icmp.length);
  v.setUint8(IP6_NEXT_HEADER, ICMPV6);
  v.setUint8(IP6_HOP_LIMIT, p.hopLimit);
  writeAddr(out, IP6_SRC, p.src);
  writeAddr(out, IP6_DST, p.dst);
  out.set(icmp, IPV6_HEADER);
  return out;
}

/** ff02::1:ffXX:XXXX, where a Neighbor Solicitation for `target` is sent (RFC 4291 2.7.1). */
export function solicitedNodeMulticast(target: bigint): bigint {
  return (0xff02n << 112n) | (0x1ffn << 24n) | (target & 0xffffffn);
}

/** 33:33 followed by the low 32 bits of an IPv6 multicast address (RFC 2464 7). */
export function ipv6MulticastMac(addr: bigint): Mac {
  const low = Number(addr & 0xffffffffn);
  return Uint8Array.of(0x33, 0x33, (low >>> 24) & 0xff, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff);
}

/** ff02::1, all nodes: where unsolicited advertisements go (RFC 4861 7.2.6). */
export const ALL_NODES = (0xff02n << 112n) | 1n;
