// Ethernet II frames (IEEE 802.3 with EtherType), optionally with one 802.1Q tag.
//
//  0                   6                   12      14
//  +-------------------+-------------------+-------+-----------
//  | destination MAC   | source MAC        | type  | payload
//  +-------------------+-------------------+-------+-----------
//  With 802.1Q: type = 0x8100, then TCI (2 bytes), then the real type at offset 16.
import { ok, truncated, unsupported, type Decoded } from './result.js';
import type { Mac } from './mac.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;

const DST = 0;
const SRC = DST + 6;
const TYPE = SRC + 6;
export const ETHERNET_HEADER = TYPE + 2;
const VLAN_TCI = ETHERNET_HEADER;
const VLAN_TYPE = VLAN_TCI + 2;
const VLAN_HEADER = VLAN_TYPE + 2;

export interface EthernetFrame {
  dst: Mac;
  src: Mac;
  etherType: number;
  /** 802.1Q VLAN id, when tagged */
  vlan?: number;
  payload: Uint8Array;
}

export function decodeEthernet(b: Uint8Array): Decoded<EthernetFrame> {
  if (b.length < ETHERNET_HEADER) return truncated(`ethernet: ${b.length} bytes, need ${ETHERNET_HEADER}`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let etherType = view.getUint16(TYPE);
  let payloadAt = ETHERNET_HEADER;
  let vlan: number | undefined;
  if (etherType === ETHERTYPE_VLAN) {
    if (b.length < VLAN_HEADER) return truncated(`ethernet: 802.1Q header needs ${VLAN_HEADER} bytes, got ${b.length}`);
    vlan = view.getUint16(VLAN_TCI) & 0x0fff;
    etherType = view.getUint16(VLAN_TYPE);
    payloadAt = VLAN_HEADER;
    if (etherType === ETHERTYPE_VLAN) return unsupported('ethernet: stacked 802.1Q tags (QinQ)');
  }
  if (etherType < 0x0600) return unsupported(`ethernet: 802.3 length field ${etherType}, not an EtherType`);
  return ok({
    dst: b.slice(DST, DST + 6),
    src: b.slice(SRC, SRC + 6),
    etherType,
    vlan,
    payload: b.subarray(payloadAt),
  });
}

export function encodeEthernet(f: EthernetFrame): Uint8Array {
  const header = f.vlan === undefined ? ETHERNET_HEADER : VLAN_HEADER;
  const out = new Uint8Array(header + f.payload.length);
  const view = new DataView(out.buffer);
  out.set(f.dst, DST);
  out.set(f.src, SRC);
  if (f.vlan === undefined) {
    view.setUint16(TYPE, f.etherType);
  } else {
    view.setUint16(TYPE, ETHERTYPE_VLAN);
    view.setUint16(VLAN_TCI, f.vlan & 0x0fff);
    view.setUint16(VLAN_TYPE, f.etherType);
  }
  out.set(f.payload, header);
  return out;
}
