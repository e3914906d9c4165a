// lanlb's additions to node_pcap (packages/pcap) as JavaScript sees them: a session's native answer
// and heartbeat methods, the savefile session the unit tests drive, and the addon's own functions,
// loaded only when the interface version is the one this code expects.
import { createRequire } from 'node:module';
import { LANLB_PCAP_ABI } from './pcap-package.js';
import type { NativeHeard } from '../election/heartbeat-inbox.js';

/** A node_pcap session as patched at install, with the native answer's methods. */
export interface PcapSession {
  on(event: 'packet', cb: (p: { buf: Buffer; header: Buffer }) => void): void;
  inject(data: Buffer): void;
  close(): void;
  /** the addon's session (packages/pcap/lanlb_answer_session.cc says what each method does) */
  session: {
    lanlb_answers(enabled: boolean, mute: boolean, mac: Buffer, v4: Buffer, v6: Buffer): void;
    /** the thread runs; true while answers are held (a gap of more than pauseMs since the last call) */
    lanlb_answer_alive(pauseMs: number): boolean;
    lanlb_answer_release(): void;
    /** requests and replies for IPv4, then IPv6, and inject errors, since the last call */
    lanlb_answer_counts(): [number, number, number, number, number];
    /** true: record each answer's stages; false: stop, and the [kernel to read, build, inject] µs */
    lanlb_answer_timing(on: boolean): Float64Array | undefined;
    lanlb_setfilter(filter: string): void;
  } & NativeHeartbeats;
}

/** The addon's heartbeat inbox (packages/pcap/lanlb_heartbeat.h), on a session. */
export interface NativeHeartbeats {
  lanlb_heartbeats(
    enabled: boolean,
    node: string,
    key: Buffer,
    perSource: number,
    strangers: number,
    watched: string[] | null,
    sampleMs: number,
  ): void;
  lanlb_take_heard(): NativeHeard;
}

/**
 * The addon's session opened on a savefile, for the unit tests' harness of the poll callback:
 * `lanlb_poll` runs the poll callback's first step on what the file holds, `dispatch` what
 * JavaScript then does, and `lanlb_record` keeps replies instead of injecting them.
 */
export interface OfflineSession {
  open_offline(
    path: string,
    filter: string,
    bufferSize: number,
    snapLength: number,
    outfile: string,
    onPacket: () => void,
    monitor: boolean,
    timeoutMs: number,
    warn: (message: string) => void,
    promiscuous: boolean,
  ): string;
  dispatch(buf: Buffer, header: Buffer): number;
  close(): void;
  lanlb_answers(enabled: boolean, mute: boolean, mac: Buffer, v4: Buffer, v6: Buffer): void;
  lanlb_answer_counts(): [number, number, number, number, number];
  lanlb_answer_alive(pauseMs: number): boolean;
  lanlb_answer_release(): void;
  lanlb_poll(): boolean;
  lanlb_record(on: boolean): Buffer[] | undefined;
}

/** lanlb's own functions of the addon (packages/pcap/lanlb_answer_session.cc). */
export interface PcapAddon {
  /** the interface version of lanlb's additions (LANLB_PCAP_ABI); absent in a plain node_pcap */
  lanlb_abi?: number;
  /** node_pcap's own session class (the unit tests open it on a savefile) */
  PcapSession: new () => OfflineSession;
  /** the answer the poll callback would send for `frame`, or undefined */
  lanlb_reply(frame: Buffer, mac: Buffer, v4: Buffer, v6: Buffer): Buffer | undefined;
  /** SCHED_RR at `priority` for the calling thread; undefined, or why it was refused */
  lanlb_realtime(priority: number): string | undefined;
}

export function pcapAddon(): PcapAddon {
  return lanlbAddon(createRequire(import.meta.url)('pcap/build/Release/pcap_binding.node') as PcapAddon);
}

/** The addon, if it is lanlb's with the interface this code expects; else a clear error. */
export function lanlbAddon(addon: PcapAddon): PcapAddon {
  if (addon.lanlb_abi !== LANLB_PCAP_ABI)
    throw new Error(
      `the pcap addon is not lanlb's (interface ${String(addon.lanlb_abi)}, expected ${LANLB_PCAP_ABI}): ` +
        "node_modules/pcap must be lanlb's packages/pcap, built at install; reinstall with npm ci",
    );
  return addon;
}
