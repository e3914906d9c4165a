// The kernel-side filter for a responder: only ARP requests and Neighbor Solicitations whose
// target is an address we announce wake the process up (pcap-filter(7) syntax, compiled by
// libpcap). Pure: addresses in, filter text out.
import type { Family } from '../../ipam/address.js';

export interface Announced {
  family: Family;
  value: bigint;
}

const hex32 = (v: bigint): string => `0x${v.toString(16).padStart(8, '0')}`;

/** Undefined when nothing is announced: no capture is needed at all. */
export function responderFilter(addresses: readonly Announced[]): string | undefined {
  const v4 = [...new Set(addresses.filter((a) => a.family === 4).map((a) => a.value))].sort();
  const v6 = [...new Set(addresses.filter((a) => a.family === 6).map((a) => a.value))].sort();
  const parts: string[] = [];
  // ARP: opcode at arp[6:2], target protocol address at arp[24:4] (RFC 826 layout).
  if (v4.length) parts.push(`(arp and arp[6:2] = 1 and (${v4.map((v) => `arp[24:4] = ${hex32(v)}`).join(' or ')}))`);
  // NS: ICMPv6 type at ip6[40] (no extension headers), target at ip6[48:16], compared as 4 words.
  if (v6.length) {
    const targets = v6.map((v) => `(${[0, 1, 2, 3].map((i) => `ip6[${48 + 4 * i}:4] = ${hex32((v >> BigInt(96 - 32 * i)) & 0xffffffffn)}`).join(' and ')})`);
    parts.push(`(icmp6 and ip6[40] = 135 and (${targets.join(' or ')}))`);
  }
  return parts.length ? parts.join(' or ') : undefined;
}
