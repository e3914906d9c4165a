// What wakes the responder (the kernel filter) and what it answers (replyFor), on frames built
// for each case. A filter or a check matching the ARP *sender* address (arp[14:4]) instead of the
// target (arp[24:4]) would answer the wrong frames and miss the right ones.
// test/integration/bpf-filter-frames.test.ts runs the filter through libpcap on the same frames.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CAPTURE_FILTER } from '../../../src/l2/codec/bpf-filter.js';
import { replyFor } from '../../../src/l2/codec/frames.js';
import { decodeEthernet } from '../../../src/l2/codec/ethernet.js';
import { decodeArp } from '../../../src/l2/codec/arp.js';
import { FRAMES, ANNOUNCED_V4, ANNOUNCED_V6 } from './request-frames.js';

const OUR_MAC = Uint8Array.from([2, 0, 0, 0, 0, 0xaa]);
const announced = (family: 4 | 6, target: bigint) =>
  (family === 4 && target === BigInt(ANNOUNCED_V4)) || (family === 6 && target === ANNOUNCED_V6);

describe('the kernel filter', () => {
  it('passes ARP, Neighbor Solicitations and Advertisements and heartbeats, whatever is announced', () => {
    assert.equal(CAPTURE_FILTER, 'arp or (icmp6 and (ip6[40] = 135 or ip6[40] = 136)) or ether proto 0x88b5');
  });
});

describe('replyFor answers exactly the requests for announced addresses', () => {
  for (const f of FRAMES) {
    it(`${f.name}: ${f.answered ? 'answered' : 'ignored'}`, () => {
      const d = replyFor(f.frame, announced, OUR_MAC);
      assert.equal(d.kind, f.answered ? 'reply' : 'ignore');
      if (d.kind === 'ignore') assert.equal(d.reason, f.ignoredBecause);
    });
  }

  it('an ARP answer says our MAC has the target the request asked for', () => {
    const request = FRAMES[0];
    assert.ok(request, 'a request frame was built');
    const d = replyFor(request.frame, announced, OUR_MAC);
    assert.ok(d.kind === 'reply', 'the codec answers it');
    const e = decodeEthernet(d.frame);
    assert.ok(e.ok, 'the Ethernet header decodes');
    const a = decodeArp(e.value.payload);
    assert.ok(a.ok, 'the ARP payload decodes');
    assert.deepEqual([a.value.senderIP, [...a.value.senderMac]], [ANNOUNCED_V4, [...OUR_MAC]]);
  });
});
