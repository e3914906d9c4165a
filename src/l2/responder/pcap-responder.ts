// Answers ARP requests and Neighbor Solicitations for the addresses it announces on one
// interface, through libpcap (node `pcap`). One answering capture per selected interface, opened
// when the responder is made (so a node that cannot capture, e.g. without NET_RAW, finds out at
// once) and kept while the responder lives: the address set changes in memory, never by reopening
// (see bpf-filter.ts for the handle leak that avoids). Once the heartbeat key is known, peers'
// heartbeats come through a second capture checked in the addon (heartbeats(), takeHeard()).
// Other frames that are not requests (ARP replies, advertisements) go to `onFrame`; `send` injects.
// Becoming the announcer of an address sends gratuitous ARP / unsolicited NA a few times over
// the first seconds. The common requests, an untagged ARP request or Neighbor Solicitation for an
// announced address, are answered inside the addon without entering JavaScript
// (packages/pcap/lanlb_answer.h, lanlb's fork of node_pcap); this class tells the addon what to
// answer and collects its counts.
import {
  batchOfNative,
  DEFAULT_INBOX_LIMITS,
  perSourcePerSecond,
  SAMPLE_WINDOW_MS,
  type HeardBatch,
  type InboxConfig,
  type InboxLimits,
} from '../election/heartbeat-inbox.js';
import pcap from 'pcap';
import type { PcapSession } from './pcap-addon.js';
import { encodeAnnouncements, replyFor } from '../codec/frames.js';
import {
  ANSWER_FILTER,
  CAPTURE_FILTER,
  HEARTBEAT_BLOCK_MS,
  HEARTBEAT_FILTER,
  type Announced,
} from '../codec/bpf-filter.js';
import { readLink, setAllMulticast } from './link.js';
import type { Mac } from '../codec/mac.js';

export interface ResponderCounters {
  requests: number;
  replies: number;
  gratuitous: number;
  decodeErrors: number;
}

export interface ResponderOptions {
  iface: string;
  /** the interface's MAC: answers say this MAC has the address */
  mac: Mac;
  /** delays (ms from becoming announcer) at which announcements are sent */
  announceSchedule?: number[];
  onError?(err: unknown): void;
  /** every captured frame that is not a request this responder answers */
  onFrame?(frame: Uint8Array): void;
  onCount?(what: keyof ResponderCounters, family: 4 | 6, n: number): void;
  /**
   * The pause guard (packages/pcap/lanlb_answer.h): alive() not called for this long means the
   * thread did not run (the process was stopped): nothing is answered or announced from then
   * until release(). Off when absent.
   */
  pauseGuardMs?: number;
}

/** The address lists the addon answers for: 4 bytes per IPv4 and 16 per IPv6, network order. */
export function nativeAddresses(announced: readonly Announced[]): { v4: Buffer; v6: Buffer } {
  const v4 = announced.filter((a) => a.family === 4);
  const v6 = announced.filter((a) => a.family === 6);
  const out = { v4: Buffer.alloc(4 * v4.length), v6: Buffer.alloc(16 * v6.length) };
  v4.forEach((a, i) => out.v4.writeUInt32BE(Number(a.value), 4 * i));
  v6.forEach((a, i) => {
    out.v6.writeBigUInt64BE(a.value >> 64n, 16 * i);
    out.v6.writeBigUInt64BE(a.value & 0xffffffffffffffffn, 16 * i + 8);
  });
  return out;
}

/** client-go-like default: at once, then after 0.5 s, 1.5 s and 3 s. */
export const DEFAULT_ANNOUNCE_SCHEDULE = [0, 500, 1_500, 3_000];

export class PcapResponder {
  /** "family/value" -> address currently answered for */
  private readonly addresses = new Map<string, Announced>();
  private session: PcapSession | undefined;
  /** peers' heartbeats, checked in the addon, while a key is known (heartbeats()) */
  private heartbeatSession: PcapSession | undefined;
  private closed = false;
  private muted = false;
  /** answers held by the pause guard, until release() */
  private held = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private enabledAllMulticast = false;
  /** set when all-multicast could not be enabled (no NET_ADMIN): promiscuous capture instead */
  private promiscuous = false;
  readonly counters: ResponderCounters = { requests: 0, replies: 0, gratuitous: 0, decodeErrors: 0 };

  /** Opens the capture; throws when the interface cannot be captured on or sent from. */
  constructor(private readonly o: ResponderOptions) {
    this.session = this.open();
  }

  get mac(): Mac {
    return this.o.mac;
  }

  get announced(): Announced[] {
    return [...this.addresses.values()];
  }

  /** Capture on, but no request answered (the answer thread gone dark; LANLB_TEST_FAULTS). */
  get mute(): boolean {
    return this.muted;
  }

  set mute(mute: boolean) {
    this.muted = mute;
    if (this.session) this.tellNative(this.session);
  }

  /**
   * The thread runs (called every few tens of ms): whether answers are held, because the pause
   * guard found a gap longer than pauseGuardMs since the last sign of it running.
   */
  alive(): boolean {
    const s = this.session;
    return s !== undefined && !this.closed && this.heldNow(s);
  }

  /** Answers again after a hold: the announcer has planned anew on what it knows after the gap. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    const s = this.session;
    if (!s) return;
    s.session.lanlb_answer_release();
    this.tellNative(s);
  }

  /** Asked before anything is sent for an address: a timer due during a pause may fire first. */
  private heldNow(s: PcapSession): boolean {
    const guard = this.o.pauseGuardMs;
    if (!this.held && guard !== undefined && s.session.lanlb_answer_alive(guard)) {
      this.held = true;
      this.tellNative(s); // a capture reopened while held starts muted
    }
    return this.held;
  }

  /** Answers for exactly `wanted` from now on; newly added addresses are announced. */
  async set(wanted: readonly Announced[]): Promise<void> {
    const next = new Map(wanted.map((a) => [`${a.family}/${a.value}`, a]));
    const added = [...next].filter(([k]) => !this.addresses.has(k)).map(([, a]) => a);
    const same = next.size === this.addresses.size && added.length === 0;
    if (same) return;
    this.addresses.clear();
    for (const [k, a] of next) this.addresses.set(k, a);
    if (this.session) this.tellNative(this.session);
    if (this.announced.some((a) => a.family === 6)) await this.ensureAllMulticast();
    for (const a of added) this.announce(a);
  }

  private open(): PcapSession {
    // Heartbeats come through a capture of their own once the addon checks them (heartbeats()).
    const filter = this.heartbeatSession ? ANSWER_FILTER : CAPTURE_FILTER;
    const options = { filter, promiscuous: this.promiscuous, buffer_timeout: 0, snap_length: 256 };
    const s = pcap.createSession(this.o.iface, options) as unknown as PcapSession;
    s.on('packet', (p) => this.onFrame(s, p.buf.subarray(0, p.header.readUInt32LE(8))));
    this.tellNative(s);
    return s;
  }

  /** What the addon answers by itself: every announced address. */
  private tellNative(s: PcapSession): void {
    const { v4, v6 } = nativeAddresses(this.announced);
    s.session.lanlb_answers(true, this.muted || this.held, Buffer.from(this.o.mac), v4, v6);
  }

  /**
   * Peers' heartbeat frames checked in the addon from now on (lanlb_heartbeat.h), through a capture
   * of their own delivered in blocks, and taken with takeHeard; undefined closes it, and they
   * reach onFrame again. The answering capture's filter changes in place: no request is lost.
   */
  heartbeats(c: InboxConfig | undefined, limits: InboxLimits = DEFAULT_INBOX_LIMITS): void {
    if (this.closed || !this.session) return;
    if (c && !this.heartbeatSession) {
      const options = { filter: HEARTBEAT_FILTER, promiscuous: false, buffer_timeout: HEARTBEAT_BLOCK_MS };
      const h = pcap.createSession(this.o.iface, { ...options, snap_length: 512 }) as unknown as PcapSession;
      h.on('packet', (p) => this.o.onFrame?.(p.buf.subarray(0, p.header.readUInt32LE(8))));
      this.heartbeatSession = h;
      this.session.session.lanlb_setfilter(ANSWER_FILTER);
    } else if (!c && this.heartbeatSession) {
      this.heartbeatSession.close();
      this.heartbeatSession = undefined;
      this.session.session.lanlb_setfilter(CAPTURE_FILTER);
    }
    const perSource = c ? perSourcePerSecond(limits, c.intervalMs) : 0;
    const key = Buffer.from(c?.key ?? new Uint8Array());
    const native = this.heartbeatSession?.session;
    const watched = c?.watched ? [...c.watched] : null;
    const strangers = limits.strangersPerSecond;
    native?.lanlb_heartbeats(c !== undefined, c?.node ?? '', key, perSource, strangers, watched, SAMPLE_WINDOW_MS);
  }

  /** The heartbeats the addon checked since the last call. */
  takeHeard(): HeardBatch {
    const native = this.heartbeatSession?.session;
    return native ? batchOfNative(native.lanlb_take_heard()) : { peers: [], counts: [] };
  }

  /** The answering capture again (promiscuous mode is fixed when a capture opens). */
  private reopen(): void {
    this.session?.close();
    this.session = this.open();
  }

  /** Moves the addon's counts of the requests it answered into these counters. */
  takeNativeCounts(): void {
    const s = this.session;
    if (!s) return;
    const [requests4, replies4, requests6, replies6, injectErrors] = s.session.lanlb_answer_counts();
    for (const [what, family, n] of [
      ['requests', 4, requests4],
      ['replies', 4, replies4],
      ['requests', 6, requests6],
      ['replies', 6, replies6],
    ] as const)
      if (n) this.count(what, family, n);
    if (injectErrors) this.o.onError?.(new Error(`${injectErrors} answers could not be sent (pcap_inject)`));
  }

  private readonly isAnnounced = (family: 4 | 6, target: bigint): boolean => this.addresses.has(`${family}/${target}`);

  private onFrame(s: PcapSession, frame: Uint8Array): void {
    const d = replyFor(frame, this.isAnnounced, this.mac);
    if (d.kind === 'ignore' && d.reason === 'undecodable') return this.count('decodeErrors', 4);
    if (d.kind === 'ignore' && d.reason === 'not-a-request') return this.o.onFrame?.(frame);
    if (d.kind === 'ignore') return;
    this.count('requests', d.family);
    if (this.mute || this.heldNow(s)) return;
    this.sendCounted(s, d.frame, 'replies', d.family);
  }

  private announce(a: Announced): void {
    for (const delay of this.o.announceSchedule ?? DEFAULT_ANNOUNCE_SCHEDULE) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        const s = this.session;
        if (!s || !this.addresses.has(`${a.family}/${a.value}`)) return;
        for (const frame of encodeAnnouncements(a.family, a.value, this.mac))
          this.sendCounted(s, frame, 'gratuitous', a.family);
      }, delay);
      this.timers.add(t);
    }
  }

  /** Sends gratuitous ARP / unsolicited NA for `addresses` once, now (spec.announceInterval). */
  reannounce(addresses: readonly Announced[]): void {
    const s = this.session;
    if (!s || this.closed) return;
    for (const a of addresses) {
      if (!this.addresses.has(`${a.family}/${a.value}`)) continue;
      for (const frame of encodeAnnouncements(a.family, a.value, this.mac))
        this.sendCounted(s, frame, 'gratuitous', a.family);
    }
  }

  /** Sends one frame as it is (heartbeats, probes). */
  send(frame: Uint8Array): void {
    if (this.closed || !this.session) return;
    try {
      this.session.inject(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    } catch (err) {
      this.o.onError?.(err);
    }
  }

  private sendCounted(s: PcapSession, frame: Uint8Array, what: keyof ResponderCounters, family: 4 | 6): void {
    if (this.heldNow(s)) return;
    try {
      s.inject(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
      this.count(what, family);
    } catch (err) {
      this.o.onError?.(err);
    }
  }

  private count(what: keyof ResponderCounters, family: 4 | 6, n = 1): void {
    this.counters[what] += n;
    this.o.onCount?.(what, family, n);
  }

  /**
   * Solicitations for a VIP go to its solicited-node multicast group, which the NIC filters out
   * unless told otherwise. All-multicast needs NET_ADMIN; with only NET_RAW (the DaemonSet's
   * one added capability) a packet socket may still ask for promiscuous mode, so fall back to it.
   */
  private async ensureAllMulticast(): Promise<void> {
    const link = readLink(this.o.iface);
    if (!link || link.allMulticast || this.promiscuous) return;
    try {
      await setAllMulticast(this.o.iface, true);
      this.enabledAllMulticast = true;
    } catch {
      // The one reopen a responder ever makes: promiscuous mode is fixed when a capture opens.
      this.promiscuous = true;
      this.reopen();
    }
  }

  /** Stops answering at once and releases the pcap handle. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.addresses.clear();
    this.takeNativeCounts();
    this.session?.close();
    this.session = undefined;
    this.heartbeatSession?.close();
    this.heartbeatSession = undefined;
    if (this.enabledAllMulticast) {
      this.enabledAllMulticast = false;
      await setAllMulticast(this.o.iface, false).catch((err: unknown) => this.o.onError?.(err));
    }
  }
}
