// The addon's native answer (packages/pcap/lanlb_answer.h, in lanlb's fork of node_pcap,
// packages/pcap) against the JavaScript codec's general path (replyFor): for every untagged
// frame the native answer gives exactly what replyFor gives (byte for byte, or nothing), so the
// common requests never take the slow path and nothing is answered that JavaScript would not;
// tagged frames it leaves to JavaScript.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { replyFor } from '../../../src/l2/codec/frames.js';
import { encodeArp } from '../../../src/l2/codec/arp.js';
import { encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from '../../../src/l2/codec/ethernet.js';
import {
  encodeNdp,
  icmpv6Checksum,
  NEIGHBOR_ADVERTISEMENT,
  NEIGHBOR_SOLICITATION,
  type NdpPacket,
} from '../../../src/l2/codec/ndp.js';
import { nativeAddresses } from '../../../src/l2/responder/pcap-responder.js';
import { pcapAddon } from '../../../src/l2/responder/pcap-addon.js';
import { nativeWatchdog } from '../../helpers/native-watchdog.js';

// C that loops would hold the event loop: fail in seconds, naming the test.
nativeWatchdog();

const OUR_MAC = new Uint8Array([0x02, 0, 0, 0, 0, 0x11]);
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const ANNOUNCED = new Set([0xc00002c8, 0xc0000201]);
const ANNOUNCED6 = new Set([0x20010db8000000000000000000000010n, 0x20010db80000000000000000000000c8n]);
const announced = (family: 4 | 6, target: bigint) =>
  family === 4 ? ANNOUNCED.has(Number(target)) : ANNOUNCED6.has(target);

const addon = pcapAddon();
const { v4: V4, v6: V6 } = nativeAddresses([
  ...[...ANNOUNCED].map((ip) => ({ family: 4 as const, value: BigInt(ip) })),
  ...[...ANNOUNCED6].map((value) => ({ family: 6 as const, value })),
]);

function nativeReply(frame: Uint8Array, v4 = V4, v6 = V6): Buffer | undefined {
  return addon.lanlb_reply(Buffer.from(frame), Buffer.from(OUR_MAC), v4, v6);
}

/** Native and replyFor give the same answer; for an untagged frame, also the same refusal. */
function agree(frame: Uint8Array): Uint8Array | undefined {
  const fast = nativeReply(frame);
  const general = replyFor(frame, announced, OUR_MAC);
  const tagged = frame[12] === 0x81 && frame[13] === 0x00;
  if (fast) assert.deepEqual([...fast], general.kind === 'reply' ? [...general.frame] : ['replyFor: no reply']);
  else if (!tagged) assert.notEqual(general.kind, 'reply', 'the native answer declined what replyFor answers');
  return fast;
}

describe('native answer: ARP', () => {
  it('answers untagged requests for announced addresses exactly as replyFor does (property)', () =>
    fc.assert(
      fc.property(
        mac,
        mac,
        fc.nat(0xffffffff),
        mac,
        fc.constantFrom(...ANNOUNCED),
        fc.nat(16),
        (dst, sha, spa, tha, tpa, pad) => {
          const arp = encodeArp({ operation: 1, senderMac: sha, senderIP: spa, targetMac: tha, targetIP: tpa });
          const payload = new Uint8Array(arp.length + pad);
          payload.set(arp);
          const frame = encodeEthernet({ dst, src: sha, etherType: ETHERTYPE_ARP, payload });
          assert.ok(agree(frame), 'the native answer declined an announced request');
        },
      ),
    ));

  it('declines or agrees on any frame: mutated requests, replies, other targets, VLAN tags (property)', () =>
    fc.assert(
      fc.property(
        mac,
        fc.nat(0xffffffff),
        fc.oneof(fc.constantFrom(...ANNOUNCED), fc.nat(0xffffffff)),
        fc.constantFrom(1 as const, 2 as const),
        fc.option(fc.nat(4095), { nil: undefined }),
        fc.array(fc.tuple(fc.nat(41), fc.nat(255)), { maxLength: 3 }),
        (sha, spa, tpa, operation, vlan, flips) => {
          const arp = encodeArp({ operation, senderMac: sha, senderIP: spa, targetMac: OUR_MAC, targetIP: tpa });
          const frame = encodeEthernet({ dst: OUR_MAC, src: sha, etherType: ETHERTYPE_ARP, vlan, payload: arp });
          for (const [at, byte] of flips) frame[at] = byte;
          const fast = agree(frame);
          if (vlan !== undefined && flips.length === 0) assert.equal(fast, undefined);
        },
      ),
    ));

  it('declines truncated frames', () => {
    const arp = encodeArp({ operation: 1, senderMac: OUR_MAC, senderIP: 1, targetMac: OUR_MAC, targetIP: 0xc00002c8 });
    const frame = encodeEthernet({ dst: OUR_MAC, src: OUR_MAC, etherType: ETHERTYPE_ARP, payload: arp });
    assert.ok(nativeReply(frame), 'the native answer answers this frame');
    assert.equal(nativeReply(frame.subarray(0, 41)), undefined);
  });

  it('answers for the listed addresses only, in any order, and for none when the list is empty', () => {
    const ask = (targetIP: number) =>
      encodeEthernet({
        dst: OUR_MAC,
        src: OUR_MAC,
        etherType: ETHERTYPE_ARP,
        payload: encodeArp({ operation: 1, senderMac: OUR_MAC, senderIP: 1, targetMac: OUR_MAC, targetIP }),
      });
    const ips = Array.from({ length: 1000 }, (_, i) => (0xc6120000 + ((i * 7919) % 65536)) >>> 0);
    const many = nativeAddresses(ips.map((ip) => ({ family: 4, value: BigInt(ip) }))).v4;
    for (let i = 0; i < 1000; i += 97)
      assert.ok(nativeReply(ask(ips[i] ?? 0), many), `address ${i} of 1,000 is answered`);
    assert.equal(nativeReply(ask(0xc6130000), many), undefined);
    assert.equal(nativeReply(ask(0xc00002c8), Buffer.alloc(0)), undefined);
  });
});

const v6 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
const ALL_NODES = (0xff02n << 112n) | 1n;

/** A Neighbor Solicitation (or, `type` 136, an advertisement) in an Ethernet frame. */
function solicitation(o: {
  src: bigint;
  target: bigint;
  ethSrc: Uint8Array;
  sll?: Uint8Array;
  type?: 135 | 136;
  hopLimit?: number;
  vlan?: number;
}): Uint8Array {
  const message: NdpPacket['message'] =
    o.type === NEIGHBOR_ADVERTISEMENT
      ? { type: o.type, router: false, solicited: true, override: true, target: o.target, targetLinkLayer: o.sll }
      : { type: NEIGHBOR_SOLICITATION, target: o.target, sourceLinkLayer: o.sll };
  const payload = encodeNdp({ src: o.src, dst: ALL_NODES, hopLimit: o.hopLimit ?? 255, message });
  return encodeEthernet({ dst: OUR_MAC, src: o.ethSrc, etherType: ETHERTYPE_IPV6, vlan: o.vlan, payload });
}

describe('native answer: NDP', () => {
  it('answers untagged solicitations for announced addresses exactly as replyFor does, DAD included (property)', () =>
    fc.assert(
      fc.property(
        fc.oneof(v6, fc.constant(0n)),
        fc.constantFrom(...ANNOUNCED6),
        mac,
        fc.option(mac, { nil: undefined }),
        (src, target, ethSrc, sll) => {
          assert.ok(agree(solicitation({ src, target, ethSrc, sll })), 'the native answer declined an announced NS');
        },
      ),
    ));

  it('agrees on any frame: mutated bytes, options, hop limits, advertisements, other targets, tags (property)', () =>
    fc.assert(
      fc.property(
        fc.oneof(v6, fc.constant(0n)),
        fc.oneof(fc.constantFrom(...ANNOUNCED6), v6),
        fc.option(mac, { nil: undefined }),
        fc.constantFrom(135 as const, 136 as const),
        fc.constantFrom(255, 255, 64, 0),
        fc.option(fc.nat(4095), { nil: undefined }),
        fc.array(fc.tuple(fc.nat(12), fc.nat(3), fc.uint8Array({ maxLength: 30 })), { maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(100), fc.nat(255)), { maxLength: 3 }),
        (src, target, sll, type, hopLimit, vlan, options, flips) => {
          let frame = solicitation({ src, target, ethSrc: OUR_MAC, sll, type, hopLimit, vlan });
          frame = withOptions(frame, options, vlan !== undefined);
          for (const [at, byte] of flips) if (at < frame.length) frame[at] = byte;
          agree(frame);
        },
      ),
    ));

  it('declines a solicitation with a bad checksum, hop limit below 255, or a zero-length option', () => {
    const ns = () =>
      solicitation({ src: 0x20010db8000000000000000000000001n, target: [...ANNOUNCED6][0] ?? 0n, ethSrc: OUR_MAC });
    assert.ok(nativeReply(ns()), 'the native answer answers the solicitation');
    const badSum = ns();
    badSum[56] = (badSum[56] ?? 0) ^ 1;
    assert.equal(nativeReply(badSum), undefined);
    assert.equal(
      nativeReply(solicitation({ src: 1n, target: [...ANNOUNCED6][0] ?? 0n, ethSrc: OUR_MAC, hopLimit: 254 })),
      undefined,
    );
    assert.equal(nativeReply(withOptions(ns(), [[1, 0, new Uint8Array()]], false)), undefined);
    assert.equal(nativeReply(ns(), V4, Buffer.alloc(0)), undefined);
  });
});

/**
 * The frame with extra NDP options appended ([type, length in 8-byte units, data]), the IPv6
 * payload length and the ICMPv6 checksum made to fit, so that only the options are on trial.
 */
function withOptions(frame: Uint8Array, options: Array<[number, number, Uint8Array]>, tagged: boolean): Uint8Array {
  if (options.length === 0) return frame;
  const ip = tagged ? 18 : 14;
  const extra = options.map(([type, units, data]) => {
    const o = new Uint8Array(Math.max(2, units * 8));
    o.set(data.subarray(0, o.length - 2), 2);
    o[0] = type;
    o[1] = units;
    return o;
  });
  const out = new Uint8Array(frame.length + extra.reduce((n, o) => n + o.length, 0));
  out.set(frame);
  let at = frame.length;
  for (const o of extra) {
    out.set(o, at);
    at += o.length;
  }
  const payload = out.length - ip - 40;
  out[ip + 4] = payload >> 8;
  out[ip + 5] = payload & 0xff;
  out[ip + 42] = 0;
  out[ip + 43] = 0;
  const addr = (at: number) => BigInt(`0x${Buffer.from(out.subarray(at, at + 16)).toString('hex')}`);
  const sum = icmpv6Checksum(addr(ip + 8), addr(ip + 24), out.subarray(ip + 40));
  out[ip + 42] = sum >> 8;
  out[ip + 43] = sum & 0xff;
  return out;
}
