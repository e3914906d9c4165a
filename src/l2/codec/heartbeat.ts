// Heartbeat frames: how announcers of a policy tell each other on the LAN itself that they are
// alive (docs/contract.md, "L2 announcement": EtherType 0x88B5, HMAC-SHA256 under Secret lanlb-memberlist).
// Sent by broadcast on every selected interface; they need no IP address on the NIC.
//
//  Ethernet (dst ff:ff:ff:ff:ff:ff, src = the interface's MAC, type 0x88B5), then:
//  0       4     5     6        6+n           14+n       22+n          26+n        58+n
//  +-------+-----+-----+--------+-------------+----------+-------------+-----------+
//  | "LNLB"| ver | n   | node   | incarnation | sequence | interval ms | HMAC-SHA256|
//  +-------+-----+-----+--------+-------------+----------+-------------+-----------+
//
// The HMAC covers the source MAC and every payload byte before it, so a frame cannot be forged,
// altered or replayed from another MAC; replays of a node's own old frames are refused by the
// (incarnation, sequence) order kept in wire-liveness.ts.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { decodeEthernet, encodeEthernet } from './ethernet.js';
import { BROADCAST, type Mac } from './mac.js';
import { invalid, ok, truncated, unsupported, type Decoded } from './result.js';

/** IEEE 802 local experimental EtherType 1 (IEEE Std 802), as docs/contract.md fixes. */
export const ETHERTYPE_HEARTBEAT = 0x88b5;
const MAGIC = [0x4c, 0x4e, 0x4c, 0x42]; // "LNLB"
const VERSION = 1;
const HMAC_LENGTH = 32;
/** a Node name is a DNS subdomain: at most 253 characters */
const MAX_NODE = 253;

export interface Heartbeat {
  node: string;
  /** the sender's start time (ms): a restarted announcer's frames order after its old ones */
  incarnation: number;
  sequence: number;
  /** how often the sender sends (ms), so a receiver can judge silence in the sender's terms */
  intervalMs: number;
}

/** What a sender needs to make a node's heartbeat frames (it numbers them itself). */
export interface HeartbeatPlan {
  node: string;
  incarnation: number;
  intervalMs: number;
  key: Uint8Array;
  /** the fastest interval a peer sends at (--heartbeat-interval); intervalMs when absent */
  peerIntervalMs?: number;
  /**
   * The peers whose every frame is checked (the holders this node's decisions must judge fast);
   * the others' are checked once per SAMPLE_WINDOW_MS (heartbeat-inbox.ts). Absent: every peer.
   */
  watched?: readonly string[];
}

export function sameHeartbeatPlan(a: HeartbeatPlan | undefined, b: HeartbeatPlan | undefined): boolean {
  if (!a || !b) return a === b;
  const sameKey = a.key.length === b.key.length && a.key.every((x, i) => x === b.key[i]);
  const same = a.node === b.node && a.incarnation === b.incarnation && a.intervalMs === b.intervalMs;
  const sameWatched = a.watched?.join('\n') === b.watched?.join('\n');
  return sameKey && same && a.peerIntervalMs === b.peerIntervalMs && sameWatched;
}

export type HeartbeatError = 'not-heartbeat' | 'malformed' | 'unauthenticated';

function mac(key: Uint8Array, src: Mac, signed: Uint8Array): Buffer {
  return createHmac('sha256', key).update(src).update(signed).digest();
}

export function encodeHeartbeat(h: Heartbeat, src: Mac, key: Uint8Array): Uint8Array {
  const name = Buffer.from(h.node, 'utf8');
  if (name.length === 0 || name.length > MAX_NODE) throw new RangeError(`node name of ${name.length} bytes`);
  const signed = new Uint8Array(6 + name.length + 20);
  const v = new DataView(signed.buffer);
  signed.set(MAGIC, 0);
  signed[4] = VERSION;
  signed[5] = name.length;
  signed.set(name, 6);
  v.setBigUint64(6 + name.length, BigInt(Math.max(0, Math.trunc(h.incarnation))));
  v.setBigUint64(14 + name.length, BigInt(Math.max(0, Math.trunc(h.sequence))));
  v.setUint32(22 + name.length, Math.min(0xffffffff, Math.max(0, Math.trunc(h.intervalMs))));
  const payload = new Uint8Array(signed.length + HMAC_LENGTH);
  payload.set(signed, 0);
  payload.set(mac(key, src, signed), signed.length);
  return encodeEthernet({ dst: BROADCAST, src, etherType: ETHERTYPE_HEARTBEAT, payload });
}

/**
 * The node a well-formed heartbeat frame says it is from, read before its HMAC is checked (so it
 * proves nothing: used only to skip a check); undefined when the frame is malformed.
 */
export function claimedNode(frame: Uint8Array): string | undefined {
  const p = frame.subarray(14);
  if (frame.length < 14 || p.length < 6 || MAGIC.some((b, i) => p[i] !== b) || p[4] !== VERSION) return undefined;
  const n = p[5] ?? 0;
  if (n === 0 || p.length < 6 + n + 20 + HMAC_LENGTH) return undefined;
  return Buffer.from(p.subarray(6, 6 + n)).toString('utf8');
}

/** The heartbeat in `frame` and the MAC that sent it, when it is one and `key` signed it. */
export function decodeHeartbeat(
  frame: Uint8Array,
  key: Uint8Array,
): Decoded<{ heartbeat: Heartbeat; src: Mac }> | { ok: false; error: { kind: HeartbeatError; message: string } } {
  const eth = decodeEthernet(frame);
  if (!eth.ok) return eth;
  const { etherType, payload: p, src } = eth.value;
  if (etherType !== ETHERTYPE_HEARTBEAT) return unsupported(`ethernet: EtherType 0x${etherType.toString(16)}`);
  if (p.length < 6) return truncated(`heartbeat: ${p.length} bytes`);
  if (MAGIC.some((b, i) => p[i] !== b) || p[4] !== VERSION) return invalid('heartbeat: magic or version');
  const n = p[5] ?? 0;
  const signedLength = 6 + n + 20;
  if (n === 0 || p.length < signedLength + HMAC_LENGTH) return truncated(`heartbeat: ${p.length} bytes`);
  const signed = p.subarray(0, signedLength);
  const expected = mac(key, src, signed);
  if (!timingSafeEqual(expected, p.subarray(signedLength, signedLength + HMAC_LENGTH)))
    return { ok: false, error: { kind: 'unauthenticated', message: 'heartbeat: HMAC does not match' } };
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return ok({
    src,
    heartbeat: {
      node: Buffer.from(p.subarray(6, 6 + n)).toString('utf8'),
      incarnation: Number(v.getBigUint64(6 + n)),
      sequence: Number(v.getBigUint64(14 + n)),
      intervalMs: v.getUint32(22 + n),
    },
  });
}
