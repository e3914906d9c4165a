// The ARP fast path against the general path (replyFor): for every frame, either the fast path
// declines, or it gives byte for byte the reply replyFor gives; and it never declines an
// untagged ARP request for an announced address (else it would be no fast path at all).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fastArpReply } from '../../../src/l2/codec/arp-fast.js';
import { replyFor } from '../../../src/l2/codec/frames.js';
import { encodeArp } from '../../../src/l2/codec/arp.js';
import { encodeEthernet, ETHERTYPE_ARP } from '../../../src/l2/codec/ethernet.js';

const OUR_MAC = new Uint8Array([0x02, 0, 0, 0, 0, 0x11]);
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const ANNOUNCED = new Set([0xc00002c8, 0xc0000201]);
const announcedV4 = (ip: number) => ANNOUNCED.has(ip);
const announced = (family: 4 | 6, target: bigint) => family === 4 && ANNOUNCED.has(Number(target));

function agree(frame: Uint8Array): Uint8Array | undefined {
  const fast = fastArpReply(frame, announcedV4, OUR_MAC);
  const general = replyFor(frame, announced, OUR_MAC);
  if (fast) {
    assert.equal(general.kind, 'reply');
    assert.deepEqual([...fast], general.kind === 'reply' ? [...general.frame] : []);
  }
  return fast;
}

describe('ARP fast path', () => {
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
          assert.ok(agree(frame), 'the fast path declined an announced request');
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
    assert.ok(fastArpReply(frame, announcedV4, OUR_MAC));
    assert.equal(fastArpReply(frame.subarray(0, 41), announcedV4, OUR_MAC), undefined);
  });
});
