// Messages between the announcer's main thread and its answer thread (answer-thread.ts and
// answer-worker.ts). Responders are named by a number the main thread chooses; frames travel as
// copies, addresses as (family, bigint) records, both structured-clone safe.
import type { MessagePort } from 'node:worker_threads';
import type { Announced } from '../codec/bpf-filter.js';
import type { Mac } from '../codec/mac.js';
import type { ResponderCounters } from './pcap-responder.js';
import type { HeartbeatPlan } from '../codec/heartbeat.js';
import type { HeardBatch } from '../election/heartbeat-inbox.js';

export type ToAnswerThread =
  | { op: 'open'; id: number; iface: string; mac: Mac; announceSchedule?: number[] }
  | { op: 'set'; id: number; req: number; addresses: Announced[] }
  | { op: 'reannounce'; id: number; addresses: Announced[] }
  | { op: 'send'; id: number; frame: Uint8Array }
  | { op: 'mute'; id: number; mute: boolean }
  | { op: 'close'; id: number; req: number }
  | { op: 'heartbeat'; plan: HeartbeatPlan | undefined }
  /** answers again after a hold (the main thread planned on what it knew after the gap) */
  | { op: 'release'; id: number }
  /** the main thread runs (once a second): see AnswerWorkerData.wedgedAfterMs */
  | { op: 'alive' };

export type FromAnswerThread =
  | { op: 'frame'; id: number; frame: Uint8Array }
  | { op: 'error'; id: number; message: string }
  | { op: 'counts'; counts: Array<[id: number, what: keyof ResponderCounters, family: 4 | 6, n: number]> }
  | { op: 'heartbeats'; sent: number }
  /** peers' heartbeats checked in the thread since the last batch; sentAt: epoch ms (timeOrigin + now) */
  | { op: 'heard'; sentAt: number; batch: HeardBatch }
  | { op: 'done'; req: number; error?: string }
  /** the thread did not run for gapMs (the process was stopped): the capture answers nothing until released */
  | { op: 'held'; id: number; gapMs: number }
  /** the main thread was silent too long: this thread answers and sends nothing any more */
  | { op: 'wedged'; silentMs: number }
  /** the real-time priority asked for (AnswerWorkerData.realtimePriority): applied, or why not */
  | { op: 'priority'; priority: number; refused?: string };

/** The answer to `open`, through the synchronous reply port. */
export interface OpenReply {
  id: number;
  error?: string;
}

export interface AnswerWorkerData {
  /** [0] turns 1 when an OpenReply has been posted (Atomics.wait on the main thread) */
  signal: Int32Array;
  replies: MessagePort;
  /**
   * The main thread silent (no `alive`) this long is wedged: its Leases and hand-overs are no
   * longer followed, so answering on would risk two MACs for one address; the thread goes dark.
   */
  wedgedAfterMs: number;
  /** SCHED_RR at this priority for the thread (needs CAP_SYS_NICE); normal scheduling if absent */
  realtimePriority?: number;
}
