// Frames for each case the responder meets, each from its own MAC (so a capture tells them
// apart): requests for the announced addresses, the look-alikes it must not answer, and what
// liveness on the wire reads (heartbeat frames, answers to probes); other traffic stays out.
import { encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from '../../../src/l2/codec/ethernet.js';
import { encodeArp, ARP_REPLY, ARP_REQUEST } from '../../../src/l2/codec/arp.js';
import { encodeNdp, NEIGHBOR_ADVERTISEMENT, NEIGHBOR_SOLICITATION } from '../../../src/l2/codec/ndp.js';
import { BROADCAST, ZERO_MAC, type Mac } from '../../../src/l2/codec/mac.js';
import { encodeHeartbeat } from '../../../src/l2/codec/heartbeat.js';

const KEY = new Uint8Array(32);
export const ANNOUNCED_V4 = 0xc0000263; // 192.0.2.99
const OTHER_V4 = 0xc0000201; // 192.0.2.1
export const ANNOUNCED_V6 = 0x20010db8000000000000000000000063n;
const OTHER_V6 = 0x20010db8000000000000000000000001n;
const CLIENT_V6 = 0xfe8000000000000000000000000000c0n;

/** The MAC frame `i` is sent from. */
export const senderMac = (i: number): Mac => Uint8Array.from([2, 0, 0, 0, 0xf0, i]);

function arp(i: number, operation: 1 | 2, senderIP: number, targetIP: number): Uint8Array {
  const payload = encodeArp({ operation, senderMac: senderMac(i), senderIP, targetMac: ZERO_MAC, targetIP });
  return encodeEthernet({ dst: BROADCAST, src: senderMac(i), etherType: ETHERTYPE_ARP, payload });
}

function ndp(i: number, type: 135 | 136, target: bigint): Uint8Array {
  const message =
    type === NEIGHBOR_SOLICITATION
      ? { type, target, sourceLinkLayer: senderMac(i) }
      : { type, router: false, solicited: false, override: true, target, targetLinkLayer: senderMac(i) };
  const payload = encodeNdp({ src: CLIENT_V6, dst: target, hopLimit: 255, message });
  return encodeEthernet({ dst: BROADCAST, src: senderMac(i), etherType: ETHERTYPE_IPV6, payload });
}

export interface RequestCase {
  name: string;
  frame: Uint8Array;
  /** passes the kernel filter (CAPTURE_FILTER) */
  captured: boolean;
  /** answered by replyFor */
  answered: boolean;
  ignoredBecause?: 'not-a-request' | 'not-announced';
}

export const FRAMES: RequestCase[] = [
  {
    name: 'ARP request for the announced address',
    frame: arp(1, ARP_REQUEST, OTHER_V4, ANNOUNCED_V4),
    captured: true,
    answered: true,
  },
  {
    name: 'ARP request for another address',
    frame: arp(2, ARP_REQUEST, OTHER_V4, OTHER_V4 + 1),
    captured: true,
    answered: false,
    ignoredBecause: 'not-announced',
  },
  {
    name: 'ARP reply about the announced address (an answer to a probe)',
    frame: arp(3, ARP_REPLY, ANNOUNCED_V4, OTHER_V4),
    captured: true,
    answered: false,
    ignoredBecause: 'not-a-request',
  },
  {
    name: 'ARP request from the announced address',
    frame: arp(4, ARP_REQUEST, ANNOUNCED_V4, OTHER_V4),
    captured: true,
    answered: false,
    ignoredBecause: 'not-announced',
  },
  {
    name: 'NS for the announced address',
    frame: ndp(5, NEIGHBOR_SOLICITATION, ANNOUNCED_V6),
    captured: true,
    answered: true,
  },
  {
    name: 'NS for another address',
    frame: ndp(6, NEIGHBOR_SOLICITATION, OTHER_V6),
    captured: true,
    answered: false,
    ignoredBecause: 'not-announced',
  },
  {
    name: 'NA for the announced address (an answer to a probe)',
    frame: ndp(7, NEIGHBOR_ADVERTISEMENT, ANNOUNCED_V6),
    captured: true,
    answered: false,
    ignoredBecause: 'not-a-request',
  },
  {
    name: 'heartbeat frame (EtherType 0x88B5)',
    frame: encodeHeartbeat({ node: 'node1', incarnation: 1, sequence: 1, intervalMs: 100 }, senderMac(8), KEY),
    captured: true,
    answered: false,
    ignoredBecause: 'not-a-request',
  },
  {
    name: 'an IPv4 datagram (other traffic)',
    frame: encodeEthernet({ dst: BROADCAST, src: senderMac(9), etherType: 0x0800, payload: new Uint8Array(40) }),
    captured: false,
    answered: false,
    ignoredBecause: 'not-a-request',
  },
];
