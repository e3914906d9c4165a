// The kernel-side filter for a responder: only ARP, Neighbor Solicitations and Advertisements and
// heartbeat frames wake the process up (pcap-filter(7) syntax, compiled by libpcap); which targets
// are answered is decided per frame by `replyFor` (frames.ts). The filter is the same whatever is
// announced, so a capture never has to be reopened when addresses change: node_pcap fixes a
// session's filter when it opens (and, before lanlb forked node_pcap (packages/pcap), freed a closed session's socket
// only on a later frame: each reopen on a quiet LAN left one packet socket behind, 217 after a
// Lease flapped for 25 s).
import type { Family } from '../../ipam/address.js';

export interface Announced {
  family: Family;
  value: bigint;
}

/**
 * What a responder captures: the requests it answers (ARP requests; Neighbor Solicitations,
 * ICMPv6 type 135 at ip6[40], RFC 4861 4.3; NDP carries no extension headers), and what
 * liveness on the wire reads: answers to probes (ARP replies; Neighbor Advertisements, type 136)
 * and heartbeat frames (EtherType 0x88B5). All other traffic stays in the kernel.
 */
export const CAPTURE_FILTER = 'arp or (icmp6 and (ip6[40] = 135 or ip6[40] = 136)) or ether proto 0x88b5';

/**
 * The same, split in two captures by urgency: ANSWER_FILTER's frames wake the answer thread at
 * once (a request waits for its answer); HEARTBEAT_FILTER's are delivered in blocks
 * (HEARTBEAT_BLOCK_MS), so that thousands of peers' heartbeats cost a wake-up per block, not
 * per frame; the kernel's capture stamp still says when each peer was heard.
 */
export const ANSWER_FILTER = 'arp or (icmp6 and (ip6[40] = 135 or ip6[40] = 136))';
export const HEARTBEAT_FILTER = 'ether proto 0x88b5';
export const HEARTBEAT_BLOCK_MS = 20;
