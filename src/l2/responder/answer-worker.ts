// The answer thread (started by answer-thread.ts): owns every libpcap capture of the process and
// answers ARP / Neighbor Solicitation, sends gratuitous ARP / unsolicited NA on their schedule
// and heartbeat frames every interval, on an event loop that nothing else runs on. The main
// thread's informers, relists and garbage collection therefore delay none of them. What the
// main thread needs back (frames that are not requests, errors, counts) is posted to it; peers'
// heartbeat frames are checked here (heartbeat-inbox.ts) and passed on in batches, so hearing
// thousands of peers wakes the main thread HEARD_BATCH_MS apart, not once per frame.
import { parentPort, workerData } from 'node:worker_threads';
import { PcapResponder, type ResponderCounters } from './pcap-responder.js';
import { pcapAddon } from './pcap-addon.js';
import type { AnswerWorkerData, FromAnswerThread, OpenReply, ToAnswerThread } from './answer-protocol.js';
import { encodeHeartbeat, type HeartbeatPlan } from '../codec/heartbeat.js';
import { HeartbeatInbox, isHeartbeatFrame, mergeBatches, type InboxConfig } from '../election/heartbeat-inbox.js';

const { signal, replies, wedgedAfterMs, realtimePriority } = workerData as AnswerWorkerData;
const port = parentPort;
if (!port) throw new Error('answer-worker.ts runs as a worker thread');

// The addon loads here, in the thread that captures (a NAN addon loads in one thread of a process
// only); one that is not lanlb's build fails the thread at once, with the reason.
const addon = pcapAddon();

if (realtimePriority !== undefined) {
  // The addon's call: this thread only, not the process.
  const refused = addon.lanlb_realtime(realtimePriority);
  port.postMessage({
    op: 'priority',
    priority: realtimePriority,
    ...(refused !== undefined && { refused }),
  } satisfies FromAnswerThread);
}

const responders = new Map<number, PcapResponder>();
/** when the main thread last said it runs, and whether its silence has made this thread dark */
let pulseAt = performance.now();
let wedged = false;
const post = (m: FromAnswerThread): void => port.postMessage(m);

/**
 * Counts are kept here in place (no allocation per frame: the answer path stays free of garbage)
 * and posted once a second, and before a close is answered.
 */
const KINDS: Array<keyof ResponderCounters> = ['requests', 'replies', 'gratuitous', 'decodeErrors'];
const tallies = new Map<number, number[]>();
let heartbeatsSent = 0;

function count(id: number, what: keyof ResponderCounters, family: 4 | 6, n: number): void {
  const t = tallies.get(id);
  const k = KINDS.indexOf(what) * 2 + (family === 4 ? 0 : 1);
  if (t) t[k] = (t[k] ?? 0) + n;
}

function flush(): void {
  for (const r of responders.values()) r.takeNativeCounts();
  const counts: Extract<FromAnswerThread, { op: 'counts' }>['counts'] = [];
  for (const [id, t] of tallies) {
    t.forEach((n, i) => n && counts.push([id, KINDS[i >> 1] ?? 'requests', i % 2 ? 6 : 4, n]));
    t.fill(0);
  }
  if (counts.length) post({ op: 'counts', counts });
  if (heartbeatsSent) post({ op: 'heartbeats', sent: heartbeatsSent });
  heartbeatsSent = 0;
}
setInterval(flush, 1_000);

/**
 * Peers' heartbeats, checked as they are captured: by the addon (lanlb_heartbeat.h), or here for a
 * frame that reached JavaScript (before a key was known to the addon). A batch every 100 ms delays
 * what the main thread knows by at most that and the capture's 20 ms block, well inside the 350 ms
 * a peer needs to look silent; each heard peer carries its age, so the main thread records when
 * it was really captured.
 */
const HEARD_BATCH_MS = 100;
const inbox = new HeartbeatInbox();
let inboxConfig: InboxConfig | undefined;
const epochNow = (): number => performance.timeOrigin + performance.now();

setInterval(() => {
  const batches = [inbox.drain(performance.now()), ...[...responders.values()].map((r) => r.takeHeard())];
  const batch = mergeBatches(batches);
  if (batch.peers.length || batch.counts.length) post({ op: 'heard', sentAt: epochNow(), batch });
}, HEARD_BATCH_MS);

/**
 * The pause guard (lanlb_answer.h): this thread not running for PAUSE_GUARD_MS (the main
 * thread's DEAF_AFTER_GAP_MS) means the process was stopped; a peer may hold our addresses by
 * now, so nothing is answered or announced until the main thread has planned anew and releases.
 */
const PAUSE_GUARD_MS = 300;
const ALIVE_EVERY_MS = 50;
let aliveAt = performance.now();
/** captures whose hold was reported and not yet released */
const heldReported = new Set<number>();

setInterval(() => {
  const gapMs = Math.round(performance.now() - aliveAt);
  aliveAt = performance.now();
  for (const [id, r] of responders) {
    if (!r.alive() || heldReported.has(id)) continue;
    heldReported.add(id);
    post({ op: 'held', id, gapMs });
  }
}, ALIVE_EVERY_MS);

function captured(id: number, frame: Uint8Array): void {
  if (isHeartbeatFrame(frame)) inbox.take(frame, performance.now());
  else post({ op: 'frame', id, frame: frame.slice() });
}

function open(m: Extract<ToAnswerThread, { op: 'open' }>): void {
  const reply: OpenReply = { id: m.id };
  try {
    if (wedged) throw new Error('the answer thread went dark: the main thread was silent');
    const r = new PcapResponder({
      iface: m.iface,
      mac: m.mac,
      ...(m.announceSchedule ? { announceSchedule: m.announceSchedule } : {}),
      onFrame: (frame) => captured(m.id, frame),
      onError: (err) => post({ op: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) }),
      onCount: (what, family, n) => count(m.id, what, family, n),
      pauseGuardMs: PAUSE_GUARD_MS,
    });
    r.heartbeats(inboxConfig);
    responders.set(m.id, r);
    tallies.set(m.id, Array<number>(KINDS.length * 2).fill(0));
  } catch (err) {
    reply.error = err instanceof Error ? err.message : String(err);
  }
  replies.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

/** Runs an asynchronous request and reports its end (the main thread awaits it). */
function answer(req: number, work: Promise<void>): void {
  work.then(
    () => post({ op: 'done', req }),
    (err: unknown) => post({ op: 'done', req, error: err instanceof Error ? err.message : String(err) }),
  );
}

/** Heartbeat frames: the plan, its timer, and one sequence for the process across captures. */
let heartbeatPlan: HeartbeatPlan | undefined;
let heartbeatSequence = 0;
let heartbeatTimer: NodeJS.Timeout | undefined;

function setHeartbeats(plan: HeartbeatPlan | undefined): void {
  inboxConfig = plan && {
    node: plan.node,
    key: plan.key,
    intervalMs: plan.peerIntervalMs ?? plan.intervalMs,
    ...(plan.watched ? { watched: new Set(plan.watched) } : {}),
  };
  inbox.configure(inboxConfig);
  for (const r of responders.values()) r.heartbeats(inboxConfig);
  const restart = plan?.intervalMs !== heartbeatPlan?.intervalMs;
  heartbeatPlan = plan;
  if (!restart) return;
  clearInterval(heartbeatTimer);
  heartbeatTimer = plan ? setInterval(beat, plan.intervalMs) : undefined;
  if (plan) beat();
}

/** One heartbeat frame on every open capture. */
function beat(): void {
  const p = heartbeatPlan;
  if (!p) return;
  for (const r of responders.values()) {
    const h = { node: p.node, incarnation: p.incarnation, sequence: ++heartbeatSequence, intervalMs: p.intervalMs };
    r.send(encodeHeartbeat(h, r.mac, p.key));
    heartbeatsSent++;
  }
}

/**
 * The main thread's pulse. Silent for wedgedAfterMs, it no longer follows Leases (another node
 * may have won one), so this thread stops answering and heartbeating: peers take over within a
 * second, and the main thread, once it runs again, exits (AnswerThread's onFatal).
 */
setInterval(
  () => {
    const silentMs = performance.now() - pulseAt;
    if (wedged || silentMs < wedgedAfterMs) return;
    wedged = true;
    setHeartbeats(undefined);
    for (const r of responders.values()) {
      r.mute = true;
      void r.set([]); // and no gratuitous ARP / NA still scheduled
    }
    post({ op: 'wedged', silentMs: Math.round(silentMs) });
  },
  Math.min(1_000, wedgedAfterMs / 4),
);

port.on('message', (m: ToAnswerThread) => {
  if (m.op === 'alive') {
    pulseAt = performance.now();
    return;
  }
  if (m.op === 'open') return open(m);
  if (wedged) return;
  if (m.op === 'heartbeat') return setHeartbeats(m.plan);
  const r = responders.get(m.id);
  if (m.op === 'set') return answer(m.req, r ? r.set(m.addresses) : Promise.reject(new Error('closed')));
  if (m.op === 'close') {
    responders.delete(m.id);
    heldReported.delete(m.id);
    return answer(
      m.req,
      (r ? r.close() : Promise.resolve()).then(() => {
        flush();
        tallies.delete(m.id);
      }),
    );
  }
  if (!r) return;
  if (m.op === 'reannounce') r.reannounce(m.addresses);
  else if (m.op === 'send') r.send(m.frame);
  else if (m.op === 'mute') r.mute = m.mute;
  else if (m.op === 'release') {
    heldReported.delete(m.id);
    r.release();
  }
});
