// Liveness judged on the wire, on a fake timeline: heard, silent, probed, answered or dead; and
// the Kubernetes-side fallback for a peer never heard. Replays of old frames never revive a peer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_WIRE_TIMINGS, WireLiveness } from '../../../src/l2/election/wire-liveness.js';

const t = DEFAULT_WIRE_TIMINGS; // 100 ms interval, silent after 3.5 intervals, probe 150 ms
const beat = (sequence: number, incarnation = 1) => ({ node: 'n2', incarnation, sequence, intervalMs: 100 });

describe('WireLiveness', () => {
  it('a peer heard is alive until it misses 3.5 intervals, then it must be probed', () => {
    const w = new WireLiveness(t);
    w.heard(beat(1), 0);
    assert.equal(w.judge('n2', 349, undefined).kind, 'alive');
    assert.equal(w.judge('n2', 350, undefined).kind, 'probe');
  });

  it('a probe unanswered for 150 ms makes the peer dead, from that moment', () => {
    const w = new WireLiveness(t);
    w.heard(beat(1), 0);
    w.probeSent('n2', 400);
    assert.deepEqual(w.judge('n2', 549, undefined), { kind: 'probing', until: 550 });
    assert.deepEqual(w.judge('n2', 550, undefined), { kind: 'dead', since: 550, by: 'wire' });
  });

  it('an answered probe keeps a peer whose heartbeats are filtered alive, and is repeated every 10 s', () => {
    const w = new WireLiveness(t);
    w.heard(beat(1), 0);
    w.probeSent('n2', 400);
    w.answered('n2', 410);
    assert.equal(w.judge('n2', 10_409, undefined).kind, 'alive');
    assert.equal(w.judge('n2', 10_410, undefined).kind, 'probe');
  });

  // Found by the L2 chaos run (issue 29): heartbeats filtered on one node's port, it judged a peer
  // dead (the peer's old VIP unanswered: it had been killed); the peer, restarted, took a Service
  // over, and this node took it from it at once, on the 12 s old verdict. Two MACs, two moves.
  it('a holder judged dead before it wrote the Lease: judged again from the write, not dead at once', () => {
    const w = new WireLiveness(t);
    w.heard(beat(1), 0);
    w.probeSent('n2', 400);
    assert.equal(w.judge('n2', 600, undefined).kind, 'dead');
    assert.equal(w.judge('n2', 12_010, undefined, true, 12_000).kind, 'alive', 'the write is a sign of life');
    assert.equal(w.judge('n2', 12_400, undefined, true, 12_000).kind, 'probe', 'silent since: probe its VIP now');
  });

  it("own deafness: peers' silence while this node could not hear is no evidence, an earlier probe is void", () => {
    const w = new WireLiveness(t);
    w.heard(beat(1), 0);
    w.probeSent('n2', 400);
    w.deaf(500); // e.g. its own link flapped while the probe was out
    assert.equal(w.judge('n2', 600, undefined).kind, 'alive', 'silence counted from the end of the deafness');
    assert.equal(w.judge('n2', 850, undefined).kind, 'probe', 'the probe sent while deaf does not count');
  });

  it('an answer from before the silence does not count', () => {
    const w = new WireLiveness(t);
    w.answered('n2', 0);
    w.heard(beat(1), 100);
    assert.equal(w.judge('n2', 500, undefined).kind, 'probe');
  });

  it('a peer heard again is alive at once', () => {
    const w = new WireLiveness(t);
    w.heard(beat(1), 0);
    w.probeSent('n2', 400);
    w.heard(beat(2), 420);
    assert.equal(w.judge('n2', 600, undefined).kind, 'alive');
  });

  it('a replayed or older frame is refused and revives nobody; a restart (newer incarnation) is heard', () => {
    const w = new WireLiveness(t);
    assert.equal(w.heard(beat(5), 0), true);
    assert.equal(w.heard(beat(5), 300), false);
    assert.equal(w.heard(beat(4), 300), false);
    assert.equal(w.judge('n2', 400, undefined).kind, 'probe');
    assert.equal(w.heard(beat(1, 2), 400), true);
    assert.equal(w.judge('n2', 400, undefined).kind, 'alive');
  });

  it('a peer never heard on the wire is judged by its Kubernetes-side heartbeat', () => {
    const w = new WireLiveness(t);
    assert.equal(w.judge('n9', 1_000, 40_000).kind, 'alive');
    assert.deepEqual(w.judge('n9', 40_000, 40_000), { kind: 'dead', since: 40_000, by: 'kubernetes' });
    assert.equal(w.judge('n9', 1_000, undefined).kind, 'dead');
  });

  it("a sender's interval is bounded: it cannot make itself immortal", () => {
    const w = new WireLiveness(t);
    w.heard({ ...beat(1), intervalMs: 3_600_000 }, 0);
    assert.equal(w.judge('n2', 3_500, undefined).kind, 'probe');
  });

  it('a peer not watched is judged at the sampled rate (silent 3.5 s after its last checked frame)', () => {
    const w = new WireLiveness(t);
    w.watch(new Set(['n3']), 0);
    w.heard(beat(1), 0);
    assert.equal(w.judge('n2', 3_499, undefined).kind, 'alive');
    assert.equal(w.judge('n2', 3_500, undefined).kind, 'probe');
  });

  it('newly watched: silent at the earlier of the sampled bound and 350 ms after the watch began', () => {
    const w = new WireLiveness(t);
    w.watch(new Set(), 0);
    w.heard(beat(1), 1_000); // the last frame checked while sampled
    w.watch(new Set(['n2']), 1_500);
    assert.equal(w.judge('n2', 1_849, undefined).kind, 'alive', 'not silent before its frames could be heard');
    assert.equal(w.judge('n2', 1_850, undefined).kind, 'probe', 'dead since before the watch: found 350 ms after');
    w.heard(beat(2), 1_860);
    assert.equal(w.judge('n2', 2_209, undefined).kind, 'alive');
    assert.equal(w.judge('n2', 2_210, undefined).kind, 'probe', 'then at the full rate');
    const v = new WireLiveness(t);
    v.watch(new Set(), 0);
    v.heard(beat(1), 0);
    v.watch(new Set(['n2']), 3_400);
    assert.equal(v.judge('n2', 3_500, undefined).kind, 'probe', 'the sampled bound still holds');
  });

  it('unwatched again: judged at the sampled rate at once, not at the full rate it was heard at', () => {
    const w = new WireLiveness(t);
    w.watch(new Set(['n2']), 0);
    w.heard(beat(1), 0);
    w.watch(new Set(), 100);
    assert.equal(w.judge('n2', 900, undefined).kind, 'alive', 'its next checked frame may be 900 ms away');
  });

  it('isolated: three watched peers silent at once, nobody heard after; fewer, or one heard later, is not', () => {
    const from = (node: string, sequence: number, intervalMs = 100) => ({ node, incarnation: 1, sequence, intervalMs });
    /** Three watched peers, last heard 0, 30 and 60 ms in. */
    const threeWatched = (): WireLiveness => {
      const x = new WireLiveness(t);
      x.watch(new Set(['a', 'b', 'c']), 0);
      for (const [node, at] of [
        ['a', 0],
        ['b', 30],
        ['c', 60],
      ] as const)
        x.heard(from(node, 1), at);
      return x;
    };
    const w = threeWatched();
    w.heard(from('idle', 1, 1_000), 10);
    assert.equal(w.isolated(300), false, 'the watched peers are not silent yet');
    assert.equal(w.isolated(450), true, 'all three silent at once, nobody heard since');
    w.heard(from('idle', 2, 1_000), 900);
    assert.equal(w.isolated(950), false, 'a peer heard since: they are dead, not this node cut off');
    // Found by the 30-minute run: a holder killed while another watched one's link flapped.
    const flap = threeWatched();
    flap.heard(from('b', 2), 600); // its link came up for a moment
    assert.equal(flap.isolated(1_000), false, 'silent, but not at once');
    const two = new WireLiveness(t);
    two.watch(new Set(['a', 'b']), 0);
    two.heard(from('a', 1), 0);
    two.heard(from('b', 1), 20);
    assert.equal(two.isolated(5_000), false, 'two watched peers silent say nothing about this node');
  });

  it('isolated: a probe sent with witness probes unanswered, and nothing heard since it went out', () => {
    const from = (node: string, sequence: number) => ({ node, incarnation: 1, sequence, intervalMs: 100 });
    const w = new WireLiveness(t);
    w.heard(from('a', 1), 0);
    w.heard(from('b', 1), 10);
    w.probeSent('a', 400, true); // b's address probed with it
    assert.equal(w.isolated(500), false, 'the probe has its time');
    assert.equal(w.isolated(400 + t.probeTimeoutMs), true, 'no answer, no witness, no heartbeat: cut off');
    w.answered('b', 560);
    assert.equal(w.isolated(600), false, 'a witness answered: the LAN is heard, a is dead');
    assert.equal(w.judge('a', 600, undefined).kind, 'dead');
    const late = new WireLiveness(t);
    late.heard(from('a', 1), 0);
    late.probeSent('a', 400, true);
    late.heard(from('b', 1), 700); // a heartbeat later than the timeout ends it too
    assert.equal(late.isolated(800), false);
    const alone = new WireLiveness(t);
    alone.heard(from('a', 1), 0);
    alone.probeSent('a', 400); // no other holder to probe (two nodes): the probe decides alone
    assert.equal(alone.isolated(1_000), false);
    assert.equal(alone.judge('a', 1_000, undefined).kind, 'dead');
  });

  it('no holder to witness: another peer heard lately is the witness, its frame awaited at most 1.2 s', () => {
    const from = (node: string, sequence: number, intervalMs = 100) => ({ node, incarnation: 1, sequence, intervalMs });
    const w = new WireLiveness(t);
    w.heard(from('a', 1), 0);
    w.heard(from('b', 1, 1_000), 0); // idle: one frame a second
    w.probeSent('a', 400); // no holder witness, but b was heard lately
    assert.deepEqual(w.judge('a', 550, undefined), { kind: 'probing', until: 1_600 }, 'waits for a frame of b');
    w.framesSeen(580); // a frame of b, only sampled: the LAN is heard
    assert.deepEqual(w.judge('a', 580, undefined), { kind: 'dead', since: 550, by: 'wire' });
    assert.equal(w.isolated(580), false);
    const cut = new WireLiveness(t);
    cut.heard(from('a', 1), 0);
    cut.heard(from('b', 1, 1_000), 0);
    cut.probeSent('a', 400);
    assert.equal(cut.isolated(1_599), false, 'still waiting');
    assert.equal(cut.isolated(1_600), true, 'nothing heard from anyone in 1.2 s: cut off');
    const stale = new WireLiveness(t);
    stale.heard(from('a', 1), 0);
    stale.heard(from('b', 1, 1_000), -2_000); // b last heard 2.4 s before the probe: no witness
    stale.probeSent('a', 400);
    assert.deepEqual(stale.judge('a', 550, undefined), { kind: 'dead', since: 550, by: 'wire' });
  });

  it('heardLately: within the silence window and 1.5 s, whatever this node could not hear meanwhile', () => {
    const w = new WireLiveness(t);
    w.heard({ node: 'b', incarnation: 1, sequence: 1, intervalMs: 1_000 }, 0);
    assert.equal(w.heardLately('b', 1_499), true);
    assert.equal(w.heardLately('b', 1_500), false, 'an idle peer not heard for 1.5 s');
    w.deaf(1_400); // this node's link was down until 1.4 s: judge() waits, heardLately does not
    assert.equal(w.judge('b', 1_500, undefined).kind, 'alive');
    assert.equal(w.heardLately('b', 1_500), false);
    assert.equal(w.heardLately('nobody', 0), undefined, 'never heard on the wire');
  });

  // Found by the 30-minute L2 chaos run: a node cut off (a partition) probed the holders it found
  // silent; unanswered, it took itself for cut off. When the first frame came back, those probes
  // counted as unanswered on a LAN it heard again: it took 14 Services over from live holders.
  it('a probe unanswered while this node was cut off is void once the LAN is heard again', () => {
    const from = (node: string, sequence: number) => ({ node, incarnation: 1, sequence, intervalMs: 100 });
    const w = new WireLiveness(t);
    w.heard(from('a', 1), 0);
    w.heard(from('b', 1), 0);
    w.probeSent('a', 400, true);
    assert.equal(w.isolated(600), true, 'cut off');
    w.heard(from('b', 2), 7_000); // the partition heals: b is heard first
    assert.equal(w.isolated(7_000), false);
    assert.equal(w.judge('a', 7_000, undefined).kind, 'alive', 'its silence while this node was cut off says nothing');
    assert.equal(w.judge('a', 7_350, undefined).kind, 'probe', 'silent since the LAN came back: probed afresh');
  });
});
