// Peers' heartbeats checked in the addon (packages/pcap/lanlb_heartbeat.h) follow the rules of
// src/l2/election/heartbeat-inbox.ts, which serves captures without the addon: random frame
// sequences (authentic, replayed, forged, truncated, own, from many MACs) go through both, through
// the addon's real poll callback on an offline capture, and every count and every peer heard must
// agree. None of these frames reaches JavaScript.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { encodeHeartbeat } from '../../../src/l2/codec/heartbeat.js';
import {
  batchOfNative,
  HeartbeatInbox,
  perSourcePerSecond,
  SAMPLE_WINDOW_MS,
  type HeardBatch,
  type InboxLimits,
} from '../../../src/l2/election/heartbeat-inbox.js';
import { pcapAddon, type NativeHeartbeats } from '../../../src/l2/responder/pcap-addon.js';
import { nativeWatchdog } from '../../helpers/native-watchdog.js';
import { pcapFile } from '../../helpers/pcap-file.js';

nativeWatchdog();

const KEY = Buffer.alloc(32, 7);
const FORGED = Buffer.alloc(32, 9);
// Small budgets, so that short sequences reach them: 5 frames per source, 20 from strangers.
const LIMITS: InboxLimits = { perSourceFactor: 0.5, strangersPerSecond: 20, maxSources: 20_000 };
const CONFIG = { node: 'me', key: KEY, intervalMs: 100 };

const dir = mkdtempSync(join(tmpdir(), 'lanlb-native-hb-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

type Step =
  | { kind: 'auth'; peer: number; sequence: number }
  | { kind: 'forged'; peer: number }
  | { kind: 'stranger'; n: number }
  | { kind: 'truncated'; peer: number }
  | { kind: 'magic'; peer: number }
  | { kind: 'own' };

const macOf = (peer: number) => Uint8Array.from([2, 0, 0, 0, 1, peer]);
const beat = (node: string, sequence: number, mac: Uint8Array, key: Uint8Array) =>
  encodeHeartbeat({ node, incarnation: 7, sequence, intervalMs: 100 }, mac, key);

function frameOf(s: Step): Uint8Array {
  if (s.kind === 'auth') return beat(`node${s.peer}`, s.sequence, macOf(s.peer), KEY);
  if (s.kind === 'forged') return beat(`node${s.peer}`, 1_000, macOf(s.peer), FORGED);
  if (s.kind === 'stranger') return beat('intruder', s.n, Uint8Array.from([2, 9, 9, 0, 0, s.n]), FORGED);
  if (s.kind === 'own') return beat('me', 1, macOf(9), KEY);
  const f = beat(`node${s.peer}`, 1, macOf(s.peer), KEY);
  if (s.kind === 'truncated') return f.subarray(0, 30);
  const bad = Uint8Array.from(f);
  bad[14] = 0x58; // not "LNLB"
  return bad;
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('auth' as const), peer: fc.nat(3), sequence: fc.nat(12) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('forged' as const), peer: fc.nat(3) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('stranger' as const), n: fc.nat(250) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncated' as const), peer: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('magic' as const), peer: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'own' as const }) },
);

/** The addon's poll callback over the frames (offline capture); what it took, and what reached JavaScript. */
function native(frames: readonly Uint8Array[], watched?: string[]): { batch: HeardBatch; toJavaScript: number } {
  const path = join(dir, `frames-${files++}.pcap`);
  writeFileSync(path, pcapFile(frames));
  const session = new (pcapAddon().PcapSession)() as HeartbeatSession;
  const buf = Buffer.alloc(65535);
  const header = Buffer.alloc(16);
  let toJavaScript = 0;
  session.open_offline(
    path,
    '',
    1 << 20,
    65535,
    '',
    () => toJavaScript++,
    false,
    1000,
    () => undefined,
    false,
  );
  const perSource = perSourcePerSecond(LIMITS, 100);
  session.lanlb_heartbeats(true, 'me', KEY, perSource, LIMITS.strangersPerSecond, watched ?? null, SAMPLE_WINDOW_MS);
  try {
    for (let i = 0; i < frames.length + 5; i++) if (!session.lanlb_poll()) session.dispatch(buf, header);
    return { batch: batchOfNative(session.lanlb_take_heard()), toJavaScript };
  } finally {
    session.close();
  }
}

/** The offline session with the heartbeat methods (the harness's type lists the answer's). */
type HeartbeatSession = InstanceType<ReturnType<typeof pcapAddon>['PcapSession']> & NativeHeartbeats;

function javascript(frames: readonly Uint8Array[], watched?: string[]): HeardBatch {
  const inbox = new HeartbeatInbox(LIMITS);
  inbox.configure({ ...CONFIG, ...(watched ? { watched: new Set(watched) } : {}) });
  for (const f of frames) inbox.take(f, 0); // the offline replay takes well under a refill's 200 ms
  return inbox.drain(0);
}

const canonical = (b: HeardBatch) => ({
  peers: b.peers
    .map(
      (p) =>
        `${p.heartbeat.node} ${p.mac} ${p.heartbeat.incarnation}/${p.heartbeat.sequence} ${p.heartbeat.intervalMs}`,
    )
    .sort(),
  counts: Object.fromEntries([...b.counts].filter(([, n]) => n > 0).sort()),
});

describe('native heartbeat inbox (the addon) against heartbeat-inbox.ts', () => {
  it('a fixed sequence: each outcome once, the peer heard with its newest frame', () => {
    const steps: Step[] = [
      { kind: 'auth', peer: 1, sequence: 3 },
      { kind: 'auth', peer: 1, sequence: 2 },
      { kind: 'auth', peer: 1, sequence: 5 },
      { kind: 'forged', peer: 2 },
      { kind: 'truncated', peer: 2 },
      { kind: 'magic', peer: 2 },
      { kind: 'own' },
    ];
    const frames = steps.map(frameOf);
    const n = native(frames);
    assert.equal(n.toJavaScript, 0, 'no heartbeat frame reached JavaScript');
    assert.deepEqual(canonical(n.batch), {
      peers: ['node1 02:00:00:00:01:01 7/5 100'],
      counts: { accepted: 2, malformed: 2, replayed: 1, unauthenticated: 1 },
    });
    assert.deepEqual(canonical(n.batch), canonical(javascript(frames)));
  });

  it('budgets: 5 frames a second per source, 20 from MACs never authenticated', () => {
    const strangers = Array.from({ length: 30 }, (_, n): Step => ({ kind: 'stranger', n }));
    const peer = Array.from({ length: 8 }, (_, i): Step => ({ kind: 'auth', peer: 1, sequence: i + 1 }));
    const frames = [...peer, ...strangers].map(frameOf);
    const n = native(frames);
    assert.deepEqual(canonical(n.batch).counts, { accepted: 5, throttled: 3 + 11, unauthenticated: 19 });
    assert.deepEqual(canonical(n.batch), canonical(javascript(frames)));
  });

  it('random sequences: the same counts and peers in C and in TypeScript (200 runs)', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 150, size: 'max' }), (steps) => {
        const frames = steps.map(frameOf);
        const n = native(frames);
        assert.equal(n.toJavaScript, 0);
        assert.deepEqual(canonical(n.batch), canonical(javascript(frames)));
      }),
      { numRuns: 200, seed: 20261206 },
    );
  });

  it('node1 watched, the others sampled: the same counts and peers in C and in TypeScript (200 runs)', () => {
    // The replay takes well under the 900 ms window: each peer not watched has its first
    // well-formed frame checked and the rest skipped, in both.
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 150, size: 'max' }), (steps) => {
        const frames = steps.map(frameOf);
        const n = native(frames, ['node1']);
        assert.deepEqual(canonical(n.batch), canonical(javascript(frames, ['node1'])));
      }),
      { numRuns: 200, seed: 20261207 },
    );
    const frames = [1, 2, 3].flatMap((sequence) => [1, 2].map((peer) => frameOf({ kind: 'auth', peer, sequence })));
    assert.deepEqual(canonical(native(frames, ['node1']).batch), {
      peers: ['node1 02:00:00:00:01:01 7/3 100', 'node2 02:00:00:00:01:02 7/1 100'],
      counts: { accepted: 4, sampled: 2 },
    });
  });
});
