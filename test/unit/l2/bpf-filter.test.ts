// The responder's kernel filter, pinned as text: a filter that matched the ARP sender address
// (arp[14:4]) instead of the target (arp[24:4]) would wake the responder for the wrong frames and
// miss every request it must answer. test/integration/bpf-filter-frames.test.ts runs it through
// libpcap on real frames.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { responderFilter } from '../../../src/l2/codec/bpf-filter.js';

const V4_99 = { family: 4 as const, value: 0xc0000263n }; // 192.0.2.99
const V4_1 = { family: 4 as const, value: 0xc0000201n }; // 192.0.2.1
const V6_63 = { family: 6 as const, value: 0x20010db8000000000000000000000063n }; // 2001:db8::63

describe('responderFilter', () => {
  it('is undefined when nothing is announced (no capture at all)', () => {
    assert.equal(responderFilter([]), undefined);
  });

  it('matches ARP requests (opcode 1) by target protocol address, duplicates once, in a stable order', () => {
    assert.equal(
      responderFilter([V4_99, V4_1, V4_99]),
      '(arp and arp[6:2] = 1 and (arp[24:4] = 0xc0000201 or arp[24:4] = 0xc0000263))',
    );
  });

  it('matches Neighbor Solicitations (type 135) by their 128-bit target, word by word', () => {
    assert.equal(
      responderFilter([V6_63]),
      '(icmp6 and ip6[40] = 135 and ((ip6[48:4] = 0x20010db8 and ip6[52:4] = 0x00000000' +
        ' and ip6[56:4] = 0x00000000 and ip6[60:4] = 0x00000063)))',
    );
  });

  it('joins both families with or', () => {
    const both = responderFilter([V6_63, V4_99]);
    assert.equal(both, `${responderFilter([V4_99])} or ${responderFilter([V6_63])}`);
  });
});
