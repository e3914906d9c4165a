// The addon's native ARP answer (hack/pcap/lanlb_arp_answer.h, compiled into node_pcap by
// hack/patch-deps.mjs) against the JavaScript codec's general path (replyFor): for every frame,
// either the native answer declines (the frame then goes to JavaScript), or it gives byte for
// byte the reply replyFor gives; and it never declines an untagged ARP request for an announced
// address (else the common request would take the slow path).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { replyFor } from '../../../src/l2/codec/frames.js';
import { encodeArp } from '../../../src/l2/codec/arp.js';
import { encodeEthernet, ETHERTYPE_ARP } from '../../../src/l2/codec/ethernet.js';

const OUR_MAC = new Uint8Array([0x02, 0, 0, 0, 0, 0x11]);
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const ANNOUNCED = new Set([0xc00002c8, 0xc0000201]);
const announced = (family: 4 | 6, target: bigint) => family === 4 && ANNOUNCED.has(Number(target));

const binding = createRequire(import.meta.url)('pcap/build/Release/pcap_binding.node') as {
  lanlb_arp_reply(frame: Buffer, mac: Buffer, addresses: Buffer): Buffer | undefined;
};
const ADDRESSES = Buffer.alloc(4 * ANNOUNCED.size);
[...ANNOUNCED].forEach((ip, i) => ADDRESSES.writeUInt32BE(ip, 4 * i));

function nativeReply(frame: Uint8Array, addresses = ADDRESSES): Buffer | undefined {
  return binding.lanlb_arp_reply(Buffer.from(frame), Buffer.from(OUR_MAC), addresses);
}

function agree(frame: Uint8Array): Uint8Array | undefined {
  const fast = nativeReply(frame);
  const general = replyFor(frame, announced, OUR_MAC);
  if (fast) {
    assert.equal(general.kind, 'reply');
    assert.deepEqual([...fast], general.kind === 'reply' ? [...general.frame] : []);
  }
  return fast;
}

describe('native ARP answer', () => {
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
    assert.ok(nativeReply(frame));
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
    const many = Buffer.alloc(4 * 1000);
    for (let i = 0; i < 1000; i++) many.writeUInt32BE((0xc6120000 + ((i * 7919) % 65536)) >>> 0, 4 * i);
    for (let i = 0; i < 1000; i += 97) assert.ok(nativeReply(ask(many.readUInt32BE(4 * i)), many));
    assert.equal(nativeReply(ask(0xc6130000), many), undefined);
    assert.equal(nativeReply(ask(0xc00002c8), Buffer.alloc(0)), undefined);
  });
});
