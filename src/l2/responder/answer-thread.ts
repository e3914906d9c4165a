// The main thread's side of the answer thread (answer-worker.ts): one worker per process, started
// by the first open, owns every capture, and each ThreadedResponder stands for one of them.
// Opening is synchronous, as the announcer's ResponderFactory requires (a node that cannot
// capture finds out at once): the main thread blocks in Atomics.wait until the worker has tried,
// bounded by OPEN_TIMEOUT_MS.
// node_pcap loads in one thread per process, so nothing on the main thread may import it when
// this is used; and lanlb's node_pcap (packages/pcap) makes a closed capture release its poll handle, without
// which a worker's exit aborts the process.
import { MessageChannel, receiveMessageOnPort, Worker, type TransferListItem } from 'node:worker_threads';
import type { Announced } from '../codec/bpf-filter.js';
import type { Mac } from '../codec/mac.js';
import type { ResponderCounters, ResponderOptions } from './pcap-responder.js';
import type { FromAnswerThread, OpenReply, ToAnswerThread } from './answer-protocol.js';
import type { HeartbeatPlan } from '../codec/heartbeat.js';
import type { HeardBatch } from '../election/heartbeat-inbox.js';

/** Startup of the worker (module loading, libpcap) plus one open; far above either (~50 ms). */
const OPEN_TIMEOUT_MS = 15_000;

/**
 * The main thread blocked this long is wedged, not busy (a relist, a burst of events or a GC pause
 * blocks it for far less); the liveness probe would kill the container after 30 s. See
 * answer-worker.ts for what the thread does then.
 */
export const DEFAULT_WEDGED_AFTER_MS = 10_000;

export interface AnswerThreadOptions {
  /** DEFAULT_WEDGED_AFTER_MS unless given (tests) */
  wedgedAfterMs?: number;
  /** the thread died: nothing is answered any more (the command exits so that peers take over) */
  onFatal(err: Error): void;
  onHeartbeatsSent?(n: number): void;
  /**
   * SCHED_RR at this priority (1..99) for the answer thread, so that a saturated node delays an
   * answer by no more than a wake-up; needs CAP_SYS_NICE. Normal scheduling when absent.
   */
  realtimePriority?: number;
  /** the outcome of realtimePriority: refused says why it was not applied (the thread runs on) */
  onPriority?(priority: number, refused?: string): void;
}

export class AnswerThread {
  /** started by the first open: a node no policy selects never pays for the thread (~9 MiB) */
  private thread: Worker | undefined;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly replies = new MessageChannel();
  /** the heartbeat plan, kept for a thread started later */
  private plan: HeartbeatPlan | undefined;
  /** tells the thread once a second that this thread runs */
  private pulse: NodeJS.Timeout | undefined;
  private readonly responders = new Map<number, ThreadedResponder>();
  private readonly waiting = new Map<number, { ok(): void; fail(err: Error): void }>();
  private nextId = 1;
  private closing = false;
  private heardListener: ((batch: HeardBatch) => void) | undefined;

  constructor(private readonly o: AnswerThreadOptions) {}

  private get worker(): Worker {
    if (this.thread) return this.thread;
    const wedgedAfterMs = this.o.wedgedAfterMs ?? DEFAULT_WEDGED_AFTER_MS;
    const { realtimePriority } = this.o;
    const data = { signal: this.signal, replies: this.replies.port2, wedgedAfterMs, realtimePriority };
    const w = startWorker(data, [this.replies.port2]);
    w.on('message', (m: FromAnswerThread) => this.received(m));
    w.on('error', (err) => this.fatal(err));
    w.on('exit', (code) => this.fatal(new Error(`the answer thread exited with code ${code}`)));
    w.unref(); // it never keeps the process alive on its own
    this.thread = w;
    this.pulse = setInterval(() => this.post({ op: 'alive' }), Math.min(1_000, wedgedAfterMs / 4));
    this.pulse.unref();
    if (this.plan) w.postMessage({ op: 'heartbeat', plan: this.plan } satisfies ToAnswerThread);
    return w;
  }

  /** Opens a capture in the answer thread; throws when it cannot (no NET_RAW, no such interface). */
  open(o: ResponderOptions): ThreadedResponder {
    if (this.closing) throw new Error('the answer thread is closed');
    const id = this.nextId++;
    Atomics.store(this.signal, 0, 0);
    this.post({
      op: 'open',
      id,
      iface: o.iface,
      mac: o.mac,
      ...(o.announceSchedule && { announceSchedule: o.announceSchedule }),
    });
    const reply = this.openReply(id);
    if (reply.error !== undefined) throw new Error(reply.error);
    const r = new ThreadedResponder(this, id, o);
    this.responders.set(id, r);
    return r;
  }

  private openReply(id: number): OpenReply {
    const deadline = performance.now() + OPEN_TIMEOUT_MS;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`the answer thread did not open a capture within ${OPEN_TIMEOUT_MS} ms`);
      Atomics.wait(this.signal, 0, 0, left);
      Atomics.store(this.signal, 0, 0);
      // A reply to an earlier open that timed out is dropped here.
      for (let m = receiveMessageOnPort(this.replies.port1); m; m = receiveMessageOnPort(this.replies.port1)) {
        const reply = m.message as OpenReply;
        if (reply.id === id) return reply;
      }
    }
  }

  /** Heartbeat frames on every capture every plan.intervalMs, sent by the answer thread. */
  heartbeats(plan: HeartbeatPlan | undefined): void {
    this.plan = plan;
    if (this.thread) this.post({ op: 'heartbeat', plan });
  }

  /** Peers' heartbeats as the thread checked them, in batches; ages include the message's transit. */
  onHeard(listener: (batch: HeardBatch) => void): void {
    this.heardListener = listener;
  }

  post(m: ToAnswerThread): void {
    if (!this.closing) this.worker.postMessage(m);
  }

  request(m: ToAnswerThread & { req: number }): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise((ok, fail) => {
      this.waiting.set(m.req, { ok, fail });
      this.worker.ref(); // an answer is awaited: keep the process alive for it
      this.post(m);
    });
  }

  nextRequest(): number {
    return this.nextId++;
  }

  forget(id: number): void {
    this.responders.delete(id);
  }

  /** Stops the thread; its captures are released by the addon's cleanup (packages/pcap). */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.pulse);
    for (const w of this.waiting.values()) w.ok();
    this.waiting.clear();
    await this.thread?.terminate();
  }

  private received(m: FromAnswerThread): void {
    if (m.op === 'frame') this.responders.get(m.id)?.o.onFrame?.(m.frame);
    else if (m.op === 'error') this.responders.get(m.id)?.o.onError?.(new Error(m.message));
    else if (m.op === 'heartbeats') this.o.onHeartbeatsSent?.(m.sent);
    else if (m.op === 'heard') this.heard(m.sentAt, m.batch);
    else if (m.op === 'priority') this.o.onPriority?.(m.priority, m.refused);
    else if (m.op === 'held') this.responders.get(m.id)?.onHeld(m.gapMs);
    else if (m.op === 'wedged') this.fatal(new Error(`this thread was unresponsive for ${m.silentMs} ms`));
    else if (m.op === 'counts')
      for (const [id, what, family, n] of m.counts) this.responders.get(id)?.counted(what, family, n);
    else {
      const w = this.waiting.get(m.req);
      this.waiting.delete(m.req);
      if (this.waiting.size === 0) this.worker.unref();
      if (m.error === undefined) w?.ok();
      else w?.fail(new Error(m.error));
    }
  }

  private heard(sentAt: number, batch: HeardBatch): void {
    const transitMs = Math.max(0, performance.timeOrigin + performance.now() - sentAt);
    for (const p of batch.peers) p.ageMs += transitMs;
    this.heardListener?.(batch);
  }

  private fatal(err: Error): void {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.pulse);
    for (const w of this.waiting.values()) w.fail(err);
    this.waiting.clear();
    this.o.onFatal(err);
  }
}

/** One capture in the answer thread, with PcapResponder's interface. */
export class ThreadedResponder {
  readonly counters: ResponderCounters = { requests: 0, replies: 0, gratuitous: 0, decodeErrors: 0 };
  private muted = false;
  private closed = false;
  /** the thread's gap behind a hold not yet taken by heldFor() */
  private heldGapMs: number | undefined;

  constructor(
    private readonly thread: AnswerThread,
    private readonly id: number,
    readonly o: ResponderOptions,
  ) {}

  get mac(): Mac {
    return this.o.mac;
  }

  /** Fault injection for tests (LANLB_TEST_FAULTS): capture on, but no request answered. */
  get mute(): boolean {
    return this.muted;
  }

  set mute(mute: boolean) {
    this.muted = mute;
    this.thread.post({ op: 'mute', id: this.id, mute });
  }

  set(addresses: readonly Announced[]): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.thread.request({ op: 'set', id: this.id, req: this.thread.nextRequest(), addresses: [...addresses] });
  }

  reannounce(addresses: readonly Announced[]): void {
    if (!this.closed) this.thread.post({ op: 'reannounce', id: this.id, addresses: [...addresses] });
  }

  send(frame: Uint8Array): void {
    if (!this.closed) this.thread.post({ op: 'send', id: this.id, frame });
  }

  onHeld(gapMs: number): void {
    this.heldGapMs = Math.max(gapMs, this.heldGapMs ?? 0);
  }

  /** The Responder port's: answers held after the thread did not run this long; once per hold. */
  heldFor(): number | undefined {
    const gap = this.heldGapMs;
    this.heldGapMs = undefined;
    return gap;
  }

  /** Answers again after a hold (posted after the table the announcer planned since). */
  release(): void {
    if (!this.closed) this.thread.post({ op: 'release', id: this.id });
  }

  counted(what: keyof ResponderCounters, family: 4 | 6, n: number): void {
    this.counters[what] += n;
    this.o.onCount?.(what, family, n);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.thread.request({ op: 'close', id: this.id, req: this.thread.nextRequest() });
    this.thread.forget(this.id);
  }
}

/**
 * From source (tests, lab, benchmarks run under tsx) the worker registers tsx itself: a worker
 * does not inherit the parent's --import hooks. Built, it is plain JavaScript.
 */
function startWorker(data: object, transferList: TransferListItem[]): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./answer-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  const options = { workerData: data, transferList };
  if (!fromSource) return new Worker(entry, options);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import(${tsx}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
