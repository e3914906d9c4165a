// Whole frames the responder receives and sends: what a request asks, and the replies and
// announcements for it. Pure: bytes in, bytes out.
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from './ethernet.js';
import { decodeArp, encodeArp, ARP_REPLY, ARP_REQUEST } from './arp.js';
import {
  ALL_NODES,
  decodeNdp,
  encodeNdp,
  ipv6MulticastMac,
  NDP_HOP_LIMIT,
  NEIGHBOR_ADVERTISEMENT,
  NEIGHBOR_SOLICITATION,
} from './ndp.js';
import { BROADCAST, ZERO_MAC, type Mac } from './mac.js';
import { ok, unsupported, type Decoded } from './result.js';

export type Request =
  | { family: 4; target: bigint; senderIP: bigint; senderMac: Mac; vlan?: number }
  | { family: 6; target: bigint; src: bigint; replyMac: Mac; vlan?: number };

/** An ARP request or a Neighbor Solicitation, whatever it is addressed to. */
export function decodeRequest(frame: Uint8Array): Decoded<Request> {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return eth;
  const { etherType, payload, vlan, src } = eth.value;
  if (etherType === ETHERTYPE_ARP) {
    const arp = decodeArp(payload);
    if (!arp.ok) return arp;
    if (arp.value.operation !== ARP_REQUEST) return unsupported('arp: not a request');
    return ok({
      family: 4,
      target: BigInt(arp.value.targetIP),
      senderIP: BigInt(arp.value.senderIP),
      senderMac: arp.value.senderMac,
      vlan,
    });
  }
  if (etherType === ETHERTYPE_IPV6) {
    const ndp = decodeNdp(payload);
    if (!ndp.ok) return ndp;
    const m = ndp.value.message;
    if (m.type !== NEIGHBOR_SOLICITATION) return unsupported('ndp: not a solicitation');
    return ok({ family: 6, target: m.target, src: ndp.value.src, replyMac: m.sourceLinkLayer ?? src, vlan });
  }
  return unsupported(`ethernet: EtherType 0x${etherType.toString(16)}`);
}

export type ReplyDecision =
  | { kind: 'reply'; family: 4 | 6; frame: Uint8Array }
  | { kind: 'ignore'; reason: 'undecodable' | 'not-a-request' | 'not-announced'; family?: 4 | 6 };

/**
 * What to send for a captured frame: the answer when it asks for an address `announced` says we
 * have (RFC 826 for ARP: the *target* protocol address; RFC 4861 7.2.3 for NS), else nothing.
 */
export function replyFor(
  frame: Uint8Array,
  announced: (family: 4 | 6, target: bigint) => boolean,
  ourMac: Mac,
): ReplyDecision {
  const req = decodeRequest(frame);
  if (!req.ok) return { kind: 'ignore', reason: req.error.kind === 'unsupported' ? 'not-a-request' : 'undecodable' };
  const family = req.value.family;
  if (!announced(family, req.value.target)) return { kind: 'ignore', reason: 'not-announced', family };
  return { kind: 'reply', family, frame: encodeReply(req.value, ourMac) };
}

/** The answer to `req` saying that `ourMac` has its target (RFC 826; RFC 4861 7.2.4). */
export function encodeReply(req: Request, ourMac: Mac): Uint8Array {
  if (req.family === 4) {
    const arp = encodeArp({
      operation: ARP_REPLY,
      senderMac: ourMac,
      senderIP: Number(req.target),
      targetMac: req.senderMac,
      targetIP: Number(req.senderIP),
    });
    return encodeEthernet({ dst: req.senderMac, src: ourMac, etherType: ETHERTYPE_ARP, vlan: req.vlan, payload: arp });
  }
  // A solicitation from the unspecified address (DAD) is answered to all nodes, unsolicited.
  const toAll = req.src === 0n;
  const dst = toAll ? ALL_NODES : req.src;
  const ndp = encodeNdp({
    src: req.target,
    dst,
    hopLimit: NDP_HOP_LIMIT,
    message: {
      type: NEIGHBOR_ADVERTISEMENT,
      router: false,
      solicited: !toAll,
      override: true,
      target: req.target,
      targetLinkLayer: ourMac,
    },
  });
  return encodeEthernet({
    dst: toAll ? ipv6MulticastMac(ALL_NODES) : req.replyMac,
    src: ourMac,
    etherType: ETHERTYPE_IPV6,
    vlan: req.vlan,
    payload: ndp,
  });
}

/**
 * Frames that tell the LAN `ourMac` now has `addr`: for IPv4 a gratuitous ARP in both request and
 * reply form (RFC 5227 3; clients differ in which they accept), for IPv6 an unsolicited Neighbor
 * Advertisement with Override to all nodes (RFC 4861 7.2.6).
 */
export function encodeAnnouncements(family: 4 | 6, addr: bigint, ourMac: Mac): Uint8Array[] {
  if (family === 4) {
    const ip = Number(addr);
    return [ARP_REQUEST, ARP_REPLY].map((operation) =>
      encodeEthernet({
        dst: BROADCAST,
        src: ourMac,
        etherType: ETHERTYPE_ARP,
        payload: encodeArp({
          operation: operation as 1 | 2,
          senderMac: ourMac,
          senderIP: ip,
          targetMac: operation === ARP_REQUEST ? ZERO_MAC : BROADCAST,
          targetIP: ip,
        }),
      }),
    );
  }
  const ndp = encodeNdp({
    src: addr,
    dst: ALL_NODES,
    hopLimit: NDP_HOP_LIMIT,
    message: {
      type: NEIGHBOR_ADVERTISEMENT,
      router: false,
      solicited: false,
      override: true,
      target: addr,
      targetLinkLayer: ourMac,
    },
  });
  return [encodeEthernet({ dst: ipv6MulticastMac(ALL_NODES), src: ourMac, etherType: ETHERTYPE_IPV6, payload: ndp })];
}
