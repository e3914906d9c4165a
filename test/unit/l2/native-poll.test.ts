// The native answer's poll-callback path at unit speed (issue 26): the addon's real callback
// logic (AnswerAll -> AnswerOrKeep, the kept frame handed to the next dispatch, dispatch's
// AnswerOrDeliver) driven over a frame table through an offline capture (a savefile libpcap
// reads with pcap_open_offline), replies recorded instead of injected. Each row: frames in,
// what C answers, what reaches JavaScript, and in which order.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replyFor } from '../../../src/l2/codec/frames.js';
import { encodeArp } from '../../../src/l2/codec/arp.js';
import { encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from '../../../src/l2/codec/ethernet.js';
import { encodeNdp, NEIGHBOR_SOLICITATION } from '../../../src/l2/codec/ndp.js';
import { nativeAddresses } from '../../../src/l2/responder/pcap-responder.js';
import { lanlbAddon, pcapAddon } from '../../../src/l2/responder/pcap-addon.js';
import { LANLB_PCAP_ABI, checkPcapPackage } from '../../../src/l2/responder/pcap-package.js';
import { nativeWatchdog } from '../../helpers/native-watchdog.js';
import { pcapFile } from '../../helpers/pcap-file.js';

// C that loops would hold the event loop: fail in seconds, naming the test.
nativeWatchdog();

const OUR_MAC = new Uint8Array([0x02, 0, 0, 0, 0, 0x11]);
const PEER = new Uint8Array([0x02, 0, 0, 0, 0, 0x99]);
const BROADCAST = new Uint8Array(6).fill(0xff);
const VIP = 0xc00002c8; // 192.0.2.200
const VIP6 = 0x20010db80000000000000000000000c8n;
const { v4: V4, v6: V6 } = nativeAddresses([
  { family: 4, value: BigInt(VIP) },
  { family: 6, value: VIP6 },
]);
const announced = (family: 4 | 6, t: bigint) => (family === 4 ? t === BigInt(VIP) : t === VIP6);

const arp = (target: number, operation: 1 | 2 = 1, vlan?: number): Uint8Array =>
  encodeEthernet({
    dst: BROADCAST,
    src: PEER,
    etherType: ETHERTYPE_ARP,
    vlan,
    payload: encodeArp({
      operation,
      senderMac: PEER,
      senderIP: 0xc0000263,
      targetMac: new Uint8Array(6),
      targetIP: target,
    }),
  });
const ns = (target: bigint): Uint8Array =>
  encodeEthernet({
    dst: new Uint8Array([0x33, 0x33, 0xff, 0, 0, 0xc8]),
    src: PEER,
    etherType: ETHERTYPE_IPV6,
    payload: encodeNdp({
      src: 0xfe800000000000000000000000000099n,
      dst: 0xff0200000000000000000001ff0000c8n,
      hopLimit: 255,
      message: { type: NEIGHBOR_SOLICITATION, target, sourceLinkLayer: PEER },
    }),
  });
/** A frame no responder answers: lanlb's heartbeat EtherType, which JavaScript must see. */
const heartbeat = (): Uint8Array => {
  const f = new Uint8Array(60);
  f.set(BROADCAST, 0);
  f.set(PEER, 6);
  f.set([0x88, 0xb5], 12);
  return f;
};

const dir = mkdtempSync(join(tmpdir(), 'lanlb-native-poll-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A pcap savefile holding `frames`, in order. */
function savefile(frames: readonly Uint8Array[]): string {
  const path = join(dir, `frames-${files++}.pcap`);
  writeFileSync(path, pcapFile(frames));
  return path;
}

interface Replay {
  /** what lanlb_poll returned, call by call, until the capture was empty */
  polls: boolean[];
  replies: Buffer[];
  /** frames delivered to JavaScript's packet callback, in order */
  toJavaScript: Buffer[];
  counts: { requests4: number; replies4: number; requests6: number; replies6: number };
}

/**
 * Runs the frames as the announcer's capture meets them: the poll callback's step (lanlb_poll);
 * where it returns false, JavaScript's dispatch, as node_pcap's read callback makes it. Bounded:
 * at most 200 polls.
 */
interface ReplayOptions {
  enabled?: boolean;
  mute?: boolean;
  /** the pause guard armed with pauseMs, then gapMs without a sign of life; released before polling */
  guard?: { pauseMs: number; gapMs: number; release?: boolean };
}

/** The thread not running for `ms` (blocked, as a stopped process is). */
const blockFor = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function replay(frames: readonly Uint8Array[], o: ReplayOptions = {}): Replay {
  const session = new (pcapAddon().PcapSession)();
  const buf = Buffer.alloc(65535);
  const header = Buffer.alloc(16);
  const toJavaScript: Buffer[] = [];
  const onPacket = (): void => void toJavaScript.push(Buffer.from(buf.subarray(0, header.readUInt32LE(8))));
  session.open_offline(savefile(frames), '', 1 << 20, 65535, '', onPacket, false, 1000, () => undefined, false);
  session.lanlb_answers(o.enabled ?? true, o.mute ?? false, Buffer.from(OUR_MAC), V4, V6);
  session.lanlb_record(true);
  if (o.guard) {
    session.lanlb_answer_alive(o.guard.pauseMs);
    blockFor(o.guard.gapMs);
    if (o.guard.release) {
      assert.equal(session.lanlb_answer_alive(o.guard.pauseMs), true, 'held after the gap');
      session.lanlb_answer_release();
    }
  }
  const polls: boolean[] = [];
  const counts = { requests4: 0, replies4: 0, requests6: 0, replies6: 0 };
  let consumed = 0;
  try {
    for (let i = 0; i < 200; i++) {
      const answered = session.lanlb_poll();
      if (!answered) session.dispatch(buf, header);
      const [requests4, replies4, requests6, replies6] = session.lanlb_answer_counts();
      counts.requests4 += requests4;
      counts.replies4 += replies4;
      counts.requests6 += requests6;
      counts.replies6 += replies6;
      const now = counts.requests4 + counts.requests6 + toJavaScript.length;
      if (now === consumed) break; // nothing left in the capture
      polls.push(answered);
      consumed = now;
    }
    return { polls, replies: session.lanlb_record(false) ?? [], toJavaScript, counts };
  } finally {
    session.close();
  }
}

const expectedReply = (frame: Uint8Array): number[] => {
  const r = replyFor(frame, announced, OUR_MAC);
  assert.equal(r.kind, 'reply', 'the codec answers this frame');
  return r.kind === 'reply' ? [...r.frame] : [];
};
const bytes = (list: readonly Uint8Array[]) => list.map((b) => [...b]);

describe('native answer: the poll callback on a frame table (offline capture)', () => {
  it('requests for announced addresses are answered in C and none reaches JavaScript', () => {
    const frames = [arp(VIP), ns(VIP6), arp(VIP)];
    const r = replay(frames);
    assert.equal(r.polls[0], true, 'the first poll answered everything readable');
    assert.deepEqual(bytes(r.replies), frames.map(expectedReply), 'the codec`s replies, byte for byte, in order');
    assert.deepEqual(r.toJavaScript, [], 'JavaScript was never entered');
    assert.deepEqual(r.counts, { requests4: 2, replies4: 2, requests6: 1, replies6: 1 }, 'counted per family');
  });

  it('a frame C does not answer is kept and delivered first by the next dispatch; later ones answered', () => {
    const frames = [arp(VIP), heartbeat(), arp(VIP, 1, 100), arp(0xc0000201), arp(VIP, 2), arp(VIP)];
    const r = replay(frames);
    assert.equal(r.polls[0], false, 'the poll stopped at the heartbeat and asked for JavaScript');
    assert.deepEqual(
      bytes(r.toJavaScript),
      bytes([frames[1], frames[2], frames[3], frames[4]].map((f) => f ?? new Uint8Array())),
      'heartbeat, VLAN-tagged request, other target and reply reach JavaScript, in order',
    );
    assert.deepEqual(bytes(r.replies), [expectedReply(arp(VIP)), expectedReply(arp(VIP))], 'both requests answered');
    assert.equal(r.counts.replies4, 2, 'counted');
  });

  it('mute (the answer thread gone dark): requests are counted, never answered, and not handed to JavaScript', () => {
    const r = replay([arp(VIP), ns(VIP6)], { mute: true });
    assert.deepEqual(r.replies, [], 'nothing answered');
    assert.deepEqual(r.toJavaScript, [], 'not JavaScript`s to answer either');
    assert.deepEqual(r.counts, { requests4: 1, replies4: 0, requests6: 1, replies6: 0 }, 'requests counted');
  });

  it('the pause guard: after a gap beyond it nothing is answered (requests counted) until released', () => {
    const frames = [arp(VIP), ns(VIP6)];
    const held = replay(frames, { guard: { pauseMs: 20, gapMs: 60 } });
    assert.deepEqual(held.replies, [], 'the requests that waited through the gap are not answered');
    assert.deepEqual(held.toJavaScript, [], 'nor handed to JavaScript to answer');
    assert.deepEqual(held.counts, { requests4: 1, replies4: 0, requests6: 1, replies6: 0 }, 'requests counted');
    const released = replay(frames, { guard: { pauseMs: 20, gapMs: 60, release: true } });
    assert.deepEqual(bytes(released.replies), frames.map(expectedReply), 'answered again once released');
  });

  it('the pause guard: a gap within it changes nothing', () => {
    const frames = [arp(VIP), ns(VIP6)];
    const r = replay(frames, { guard: { pauseMs: 2_000, gapMs: 20 } });
    assert.deepEqual(bytes(r.replies), frames.map(expectedReply), 'answered');
  });

  it('answers off: the poll callback leaves every frame to JavaScript', () => {
    const frames = [arp(VIP), heartbeat()];
    const r = replay(frames, { enabled: false });
    assert.equal(r.polls[0], false, 'JavaScript must run');
    assert.deepEqual(r.replies, [], 'C answered nothing');
    assert.deepEqual(bytes(r.toJavaScript), bytes(frames), 'every frame reached JavaScript');
  });

  it('more than 64 readable requests: one poll answers 64 and the next the rest (the poll is level-triggered)', () => {
    const r = replay(Array.from({ length: 65 }, () => arp(VIP)));
    assert.deepEqual(r.polls.slice(0, 2), [true, true], 'two polls, both without JavaScript');
    assert.equal(r.replies.length, 65, 'all answered');
    assert.deepEqual(r.toJavaScript, [], 'JavaScript never entered');
  });
});

describe('the addon is lanlb`s, checked at start', () => {
  it('the built addon exports the interface version this code expects', () => {
    assert.equal(pcapAddon().lanlb_abi, LANLB_PCAP_ABI, 'packages/pcap was built at install');
  });

  it('a plain node_pcap (no lanlb_abi) or another version is refused with a message that says so', () => {
    const plain = {} as ReturnType<typeof pcapAddon>;
    assert.throws(
      () => lanlbAddon(plain),
      /the pcap addon is not lanlb's \(interface undefined, expected \d+\).*npm ci/,
    );
    const other = { lanlb_abi: LANLB_PCAP_ABI + 1 } as ReturnType<typeof pcapAddon>;
    assert.throws(() => lanlbAddon(other), /interface \d+, expected \d+/);
  });
});

describe('the pcap package is lanlb`s, checked without loading the addon', () => {
  it('node_modules/pcap declares the interface version this code expects', () => {
    assert.doesNotThrow(() => checkPcapPackage(), 'packages/pcap is installed as node_modules/pcap');
  });
});
