// The heartbeat inbox (answer thread): authentic frames pass, once, as each peer's latest per
// batch; forged floods cost a bounded number of verifications, whatever MACs they use.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeHeartbeat } from '../../../src/l2/codec/heartbeat.js';
import { HeartbeatInbox, DEFAULT_INBOX_LIMITS } from '../../../src/l2/election/heartbeat-inbox.js';

const key = Buffer.from('k'.repeat(32));
const forged = Buffer.from('x'.repeat(32));
const macOf = (n: number) => Uint8Array.from([2, 0, (n >> 16) & 255, (n >> 8) & 255, n & 255, 1]);
const frame = (node: string, sequence: number, mac = macOf(1), k: Uint8Array = key) =>
  encodeHeartbeat({ node, incarnation: 1, sequence, intervalMs: 100 }, mac, k);
const inbox = () => {
  const i = new HeartbeatInbox();
  i.configure({ node: 'me', key, intervalMs: 100 });
  return i;
};
const counted = (i: HeartbeatInbox, now: number) => Object.fromEntries(i.drain(now).counts);

describe('HeartbeatInbox', () => {
  it("passes each peer's latest authentic frame per batch, with its age", () => {
    const i = inbox();
    assert.equal(i.take(frame('node1', 1), 1_000), 'accepted');
    assert.equal(i.take(frame('node1', 2), 1_100), 'accepted');
    assert.equal(i.take(frame('node2', 1, macOf(2)), 1_120), 'accepted');
    const b = i.drain(1_150);
    assert.deepEqual(
      b.peers.map((p) => [p.heartbeat.node, p.heartbeat.sequence, p.ageMs, p.mac]),
      [
        ['node1', 2, 50, '02:00:00:00:01:01'],
        ['node2', 1, 30, '02:00:00:00:02:01'],
      ],
    );
    assert.deepEqual(Object.fromEntries(b.counts), { accepted: 3 });
    assert.deepEqual(i.drain(1_200).peers, [], 'a batch is taken once');
  });

  it('drops its own frames uncounted, replays, forgeries and frames before a key is known', () => {
    const i = inbox();
    assert.equal(i.take(frame('me', 1), 0), 'own');
    assert.equal(i.take(frame('node1', 5), 0), 'accepted');
    assert.equal(i.take(frame('node1', 5), 200), 'replayed');
    assert.equal(i.take(frame('node1', 6, macOf(1), forged), 400), 'unauthenticated');
    assert.equal(i.take(frame('node1', 6).subarray(0, 30), 600), 'malformed');
    assert.deepEqual(counted(i, 700), { accepted: 1, replayed: 1, unauthenticated: 1, malformed: 1 });
    const none = new HeartbeatInbox();
    assert.equal(none.take(frame('node1', 1), 0), 'no-key');
  });

  it('a peer at its configured rate is never throttled (10 minutes at 10 Hz)', () => {
    const i = inbox();
    for (let n = 1; n <= 6_000; n++) assert.equal(i.take(frame('node1', n), n * 100), 'accepted', `frame ${n}`);
  });

  it('30,000 forged frames a second from random MACs: at most 1,000 verified; a known peer still heard', () => {
    const i = inbox();
    let seq = 0;
    assert.equal(i.take(frame('node1', ++seq), 0), 'accepted', 'heard before the flood');
    for (let ms = 1; ms <= 3_000; ms++) {
      for (let k = 0; k < 30; k++) i.take(frame('node9', ms * 30 + k, macOf(ms * 30 + k + 100), forged), ms);
      if (ms % 100 === 0) assert.equal(i.take(frame('node1', ++seq), ms), 'accepted', `the peer at ${ms} ms`);
    }
    const c = counted(i, 3_000);
    // 3 s of flood touch at most 4 one-second windows of the strangers' budget.
    assert.ok((c.unauthenticated ?? 0) <= 4 * DEFAULT_INBOX_LIMITS.strangersPerSecond, `${c.unauthenticated} verified`);
    assert.equal(c.accepted, 31, 'every frame of the known peer');
    assert.equal(c.throttled, 90_000 - (c.unauthenticated ?? 0), 'every other forged frame dropped unverified');
  });

  it("a flood under a known peer's MAC costs at most a full bucket and a second's refill of verifications", () => {
    const i = inbox();
    assert.equal(i.take(frame('node1', 1), 0), 'accepted');
    for (let ms = 1; ms <= 1_000; ms++) for (let k = 0; k < 10; k++) i.take(frame('node1', 2, macOf(1), forged), ms);
    const c = counted(i, 1_000);
    assert.ok((c.unauthenticated ?? 0) <= 2 * 30 + 1, `verified ${c.unauthenticated} forged frames in 1 s`);
  });

  it('a flood of distinct MACs does not grow the table without bound', () => {
    const i = new HeartbeatInbox({ ...DEFAULT_INBOX_LIMITS, maxSources: 100 });
    i.configure({ node: 'me', key, intervalMs: 100 });
    for (let n = 0; n < 1_000; n++) i.take(frame('x', n, macOf(n), forged), n * 10);
    const sources = (i as unknown as { sources: Map<number, unknown> }).sources;
    assert.ok(sources.size <= 100, `${sources.size} sources kept`);
  });

  it('a peer not watched: one frame checked per 900 ms, the rest skipped unchecked; a watched one, every frame', () => {
    const i = new HeartbeatInbox();
    i.configure({ node: 'me', key, intervalMs: 100, watched: new Set(['node1']) });
    const outcomes = (node: string, mac: ReturnType<typeof macOf>) =>
      Array.from({ length: 30 }, (_, n) => i.take(frame(node, n + 1, mac), n * 100));
    const count = (xs: string[], o: string) => xs.filter((x) => x === o).length;
    const watched = outcomes('node1', macOf(1));
    assert.equal(count(watched, 'accepted'), 30, 'a watched peer: every frame');
    const sampled = outcomes('node2', macOf(2));
    // Accepted at 0, 900, 1800, 2700 ms: one a second at a 100 ms rate.
    assert.deepEqual(
      sampled.flatMap((o, n) => (o === 'accepted' ? [n * 100] : [])),
      [0, 900, 1_800, 2_700],
    );
    assert.equal(count(sampled, 'sampled'), 26);
    const idle = Array.from({ length: 5 }, (_, n) => i.take(frame('node3', n + 1, macOf(3)), n * 1_000));
    assert.deepEqual(idle, Array(5).fill('accepted'), 'a peer at the idle rate (1 s): every frame');
  });

  it('a forged frame naming a sampled peer neither is accepted nor delays its next authentic one', () => {
    const i = new HeartbeatInbox();
    i.configure({ node: 'me', key, intervalMs: 100, watched: new Set() });
    assert.equal(i.take(frame('node2', 1, macOf(2)), 0), 'accepted');
    assert.equal(i.take(frame('node2', 50, macOf(2), forged), 100), 'sampled', 'skipped, never accepted');
    assert.equal(i.take(frame('node2', 60, macOf(2), forged), 950), 'unauthenticated');
    assert.equal(i.take(frame('node2', 2, macOf(2)), 960), 'accepted', 'the forgery took no slot');
    assert.equal(i.take(frame('node2', 70, macOf(3), forged), 1_000), 'sampled');
  });
});
