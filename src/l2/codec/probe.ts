// Asking the LAN who answers for an address, without claiming it: an ARP probe (RFC 5227 2.1.1:
// sender IP 0.0.0.0) or a Duplicate Address Detection solicitation (RFC 4862 5.4.2: from ::, no
// source link-layer option), and reading the answers: ARP replies and Neighbor Advertisements.
// A candidate that stops hearing a holder's heartbeats probes its VIP before taking it over: an
// answer from the holder's MAC shows that the data path still works (heartbeats filtered).
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from './ethernet.js';
import { decodeArp, encodeArp, ARP_REPLY, ARP_REQUEST } from './arp.js';
import {
  decodeNdp,
  encodeNdp,
  ipv6MulticastMac,
  NDP_HOP_LIMIT,
  NEIGHBOR_ADVERTISEMENT,
  NEIGHBOR_SOLICITATION,
  solicitedNodeMulticast,
} from './ndp.js';
import { BROADCAST, ZERO_MAC, type Mac } from './mac.js';

export function encodeProbe(family: 4 | 6, target: bigint, ourMac: Mac): Uint8Array {
  if (family === 4) {
    const payload = encodeArp({
      operation: ARP_REQUEST,
      senderMac: ourMac,
      senderIP: 0,
      targetMac: ZERO_MAC,
      targetIP: Number(target),
    });
    return encodeEthernet({ dst: BROADCAST, src: ourMac, etherType: ETHERTYPE_ARP, payload });
  }
  const group = solicitedNodeMulticast(target);
  const payload = encodeNdp({
    src: 0n,
    dst: group,
    hopLimit: NDP_HOP_LIMIT,
    message: { type: NEIGHBOR_SOLICITATION, target },
  });
  return encodeEthernet({ dst: ipv6MulticastMac(group), src: ourMac, etherType: ETHERTYPE_IPV6, payload });
}

export interface Answer {
  family: 4 | 6;
  /** the address the answer is about */
  address: bigint;
  /** the MAC it says has the address */
  mac: Mac;
}

/** An ARP reply or a Neighbor Advertisement in `frame`: who says it has which address. */
export function decodeAnswer(frame: Uint8Array): Answer | undefined {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return undefined;
  const { etherType, payload, src } = eth.value;
  if (etherType === ETHERTYPE_ARP) {
    const arp = decodeArp(payload);
    if (!arp.ok || arp.value.operation !== ARP_REPLY) return undefined;
    return { family: 4, address: BigInt(arp.value.senderIP), mac: arp.value.senderMac };
  }
  if (etherType === ETHERTYPE_IPV6) {
    const ndp = decodeNdp(payload);
    if (!ndp.ok || ndp.value.message.type !== NEIGHBOR_ADVERTISEMENT) return undefined;
    const m = ndp.value.message;
    return { family: 6, address: m.target, mac: m.targetLinkLayer ?? src };
  }
  return undefined;
}
