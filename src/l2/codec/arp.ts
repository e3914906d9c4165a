// ARP for IPv4 over Ethernet (RFC 826; gratuitous ARP: RFC 5227 section 3).
//
//  0      2      4    5    6      8            14           18           24           28
//  +------+------+----+----+------+------------+------------+------------+------------+
//  | htype| ptype|hlen|plen| oper | sender MAC | sender IP  | target MAC | target IP  |
//  +------+------+----+----+------+------------+------------+------------+------------+
import { invalid, ok, truncated, unsupported, type Decoded } from './result.js';
import type { Mac } from './mac.js';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const HTYPE_ETHERNET = 1;
const PTYPE_IPV4 = 0x0800;

const HTYPE = 0;
const PTYPE = HTYPE + 2;
const HLEN = PTYPE + 2;
const PLEN = HLEN + 1;
const OPER = PLEN + 1;
const SHA = OPER + 2;
const SPA = OPER + 8;
const THA = OPER + 12;
const TPA = OPER + 18;
export const ARP_LENGTH = TPA + 4;

export interface ArpPacket {
  operation: typeof ARP_REQUEST | typeof ARP_REPLY;
  senderMac: Mac;
  /** IPv4 address as a number (0..2^32-1) */
  senderIP: number;
  targetMac: Mac;
  targetIP: number;
}

export function decodeArp(b: Uint8Array): Decoded<ArpPacket> {
  if (b.length < ARP_LENGTH) return truncated(`arp: ${b.length} bytes, need ${ARP_LENGTH}`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const htype = v.getUint16(HTYPE);
  const ptype = v.getUint16(PTYPE);
  if (htype !== HTYPE_ETHERNET || ptype !== PTYPE_IPV4)
    return unsupported(`arp: hardware ${htype} / protocol 0x${ptype.toString(16)}`);
  if (v.getUint8(HLEN) !== 6 || v.getUint8(PLEN) !== 4)
    return invalid(`arp: address lengths ${v.getUint8(HLEN)}/${v.getUint8(PLEN)} for Ethernet/IPv4`);
  const operation = v.getUint16(OPER);
  if (operation !== ARP_REQUEST && operation !== ARP_REPLY) return unsupported(`arp: operation ${operation}`);
  return ok({
    operation,
    senderMac: b.slice(SHA, SHA + 6),
    senderIP: v.getUint32(SPA),
    targetMac: b.slice(THA, THA + 6),
    targetIP: v.getUint32(TPA),
  });
}

export function encodeArp(p: ArpPacket): Uint8Array {
  const out = new Uint8Array(ARP_LENGTH);
  const v = new DataView(out.buffer);
  v.setUint16(HTYPE, HTYPE_ETHERNET);
  v.setUint16(PTYPE, PTYPE_IPV4);
  v.setUint8(HLEN, 6);
  v.setUint8(PLEN, 4);
  v.setUint16(OPER, p.operation);
  out.set(p.senderMac, SHA);
  v.setUint32(SPA, p.senderIP >>> 0);
  out.set(p.targetMac, THA);
  v.setUint32(TPA, p.targetIP >>> 0);
  return out;
}
