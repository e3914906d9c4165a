// Reading Habets' arping output probe by probe (captured from `arping -c 10 -W 0.05` while the
// peer dropped its address for a moment): its "index=" counts replies, so the position of each
// line, answer or "Timeout", is what places an answer in time.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { arpingProbes } from '../../../src/devcluster/netns-lab.js';

const CAPTURED = `ARPING 192.0.2.2
42 bytes from a2:70:3d:5b:51:4b (192.0.2.2): index=0 time=8.936 usec
42 bytes from a2:70:3d:5b:51:4b (192.0.2.2): index=1 time=6.382 usec
Timeout
Timeout
Timeout
42 bytes from A2:70:3D:5B:51:4C (192.0.2.2): index=2 time=6.422 usec

--- 192.0.2.2 statistics ---
6 packets transmitted, 3 packets received,  50% unanswered (0 extra)
rtt min/avg/max/std-dev = 0.006/0.008/0.010/0.001 ms`;

describe('arpingProbes', () => {
  it('gives each probe its answer or undefined, in the order sent', () => {
    const a = 'a2:70:3d:5b:51:4b';
    assert.deepEqual(arpingProbes(CAPTURED), [a, a, undefined, undefined, undefined, 'a2:70:3d:5b:51:4c']);
  });
});
