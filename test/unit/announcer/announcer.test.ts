// Announcers on in-memory sources, one shared in-memory Lease store, fake responders and a fake
// clock: election, hand-over after a crash, graceful release and eligibility, in milliseconds.
// The namespace e2e proves the real adapters (informers, libpcap, /sys) on real frames.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { Announcer } from '../../../src/announcer/announcer.js';
import { AnnouncerMetrics } from '../../../src/announcer/metrics.js';
import { createLogger } from '../../../src/observability/logger.js';
import { serviceLeaseName } from '../../../src/l2/election/lease-names.js';
import { formatAddress } from '../../../src/ipam/address.js';
import { replyFor } from '../../../src/l2/codec/frames.js';
import { encodeHeartbeat, type HeartbeatPlan } from '../../../src/l2/codec/heartbeat.js';
import type { Announced } from '../../../src/l2/codec/bpf-filter.js';
import type { Node, Service } from '../../../src/core/kube-objects.js';
import type { EndpointSlice, LeaseObject } from '../../../src/core/kube-objects.js';
import type { L2AnnouncementPolicy } from '../../../generated/index.js';
import { KubeApiError } from '../../../src/runtime/ports/api-error.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { prng } from '../../../src/devcluster/prng.js';
import { MemoryLeaseStore } from '../../helpers/memory-lease-store.js';
import { MemorySource, RecordingEvents } from '../../helpers/memory-cluster.js';
import type { Lease, LeaseStore } from '../../../src/runtime/ports/lease-store.js';
import type { HeartbeatSender, Link, Responder } from '../../../src/announcer/options.js';
import type { Clock } from '../../../src/runtime/clock.js';

const NS = 'lanlb-system';
const VIP = '192.0.2.200';
const mac = (n: number) => Uint8Array.from([2, 0, 0, 0, 0, n]);

const KEY = Buffer.from('test-key-'.repeat(4));

/**
 * The LAN as the announcers see it: every frame one node's capture sends reaches the captures of
 * the nodes on its side, after 1 ms. Faults: a crashed node neither sends nor answers, `side`
 * partitions the LAN, `filterHeartbeats` drops EtherType 0x88B5 as a bridge rule would.
 */
class FakeLan {
  readonly captures: FakeResponder[] = [];
  readonly crashed = new Set<string>();
  readonly side = new Map<string, 'a' | 'b'>();
  filterHeartbeats = false;
  constructor(private readonly clock: FakeClock) {}

  deliver(from: FakeResponder, frame: Uint8Array): void {
    if (this.crashed.has(from.node)) return;
    const heartbeat = frame[12] === 0x88 && frame[13] === 0xb5;
    if (heartbeat && this.filterHeartbeats) return;
    for (const to of this.captures) {
      if (to === from || to.closed || this.crashed.has(to.node)) continue;
      if ((this.side.get(to.node) ?? 'a') !== (this.side.get(from.node) ?? 'a')) continue;
      this.clock.schedule(() => to.receive(frame), 1);
    }
  }
}

class FakeResponder implements Responder {
  addresses: string[] = [];
  private announced: Announced[] = [];
  closed = false;
  constructor(
    readonly node: string,
    private readonly link: Link,
    private readonly lanOf: FakeLan,
    private readonly onFrame: (frame: Uint8Array) => void,
  ) {}
  async set(a: readonly Announced[]): Promise<void> {
    this.announced = [...a];
    this.addresses = a.map((x) => formatAddress(x.family, x.value));
  }
  heartbeatsSent = 0;
  send(frame: Uint8Array): void {
    if (frame[12] === 0x88 && frame[13] === 0xb5) this.heartbeatsSent++;
    if (!this.closed) this.lanOf.deliver(this, frame);
  }
  reannounced = 0;
  reannounce(): void {
    this.reannounced++;
  }
  /** a broken responder: its capture still passes frames on, but it answers no request */
  mute = false;
  /** A frame from the LAN: answered when it asks for an announced address, else handed on. */
  receive(frame: Uint8Array): void {
    if (this.closed) return;
    const has = (f: 4 | 6, v: bigint) => this.announced.some((a) => a.family === f && a.value === v);
    const d = replyFor(frame, has, this.link.mac);
    if (d.kind === 'reply' && !this.mute) this.send(d.frame);
    else if (d.kind === 'ignore' && d.reason === 'not-a-request') this.onFrame(frame);
  }
  async close(): Promise<void> {
    this.closed = true;
    this.addresses = [];
  }
}

/** A node's view of the shared store; `cut` makes every call fail, as a node cut off would see. */
class NodeLeaseStore implements LeaseStore {
  cut = false;
  constructor(private readonly shared: MemoryLeaseStore) {}
  private check(): void {
    if (this.cut) throw new KubeApiError(503, 'ServiceUnavailable', 'unreachable');
  }
  /** names read, in order (node heartbeat Leases are read, never watched) */
  readonly reads: string[] = [];
  async get(ns: string, name: string) {
    this.check();
    this.reads.push(name);
    return this.shared.get(ns, name);
  }
  writes = 0;
  /** the next write lands, but its response is lost on the way back (a connection cut, a freeze's timeout) */
  loseNextResponse = false;
  /** this node's watch delivers nothing (a copy not written yet, a watch being re-established) */
  watchStalled = false;
  async create(l: Lease) {
    this.check();
    this.writes++;
    return this.lost(await this.shared.create(l));
  }
  async update(l: Lease) {
    this.check();
    this.writes++;
    return this.lost(await this.shared.update(l));
  }
  private lost(written: Lease): Lease {
    if (!this.loseNextResponse) return written;
    this.loseNextResponse = false;
    throw new Error('socket hang up');
  }
  async delete(ns: string, name: string, rv: string | undefined) {
    this.check();
    return this.shared.delete(ns, name, rv);
  }
}

/**
 * The answer thread's heartbeats as the announcer sees them (a HeartbeatSender): once given a
 * plan, frames go out on every open capture of the node every interval, on the clock alone.
 */
class FakeHeartbeatThread implements HeartbeatSender {
  readonly plans: Array<HeartbeatPlan | undefined> = [];
  private cancel: (() => void) | undefined;
  private sequence = 0;
  sent = 0;
  constructor(
    private readonly clock: FakeClock,
    private readonly responders: Map<string, FakeResponder>,
    private readonly macOf: (iface: string) => Uint8Array,
  ) {}
  heartbeats(plan: HeartbeatPlan | undefined): void {
    this.plans.push(plan);
    this.cancel?.();
    if (!plan) return;
    const beat = (): void => {
      for (const [iface, r] of this.responders) {
        const h = {
          node: plan.node,
          incarnation: plan.incarnation,
          sequence: ++this.sequence,
          intervalMs: plan.intervalMs,
        };
        r.send(encodeHeartbeat(h, this.macOf(iface), plan.key));
        this.sent++;
      }
      this.cancel = this.clock.schedule(beat, plan.intervalMs);
    };
    beat();
  }
}

/**
 * One node's view of the shared fake clock that can be paused, as SIGSTOP pauses a process: the
 * time moves on, and every timer that came due meanwhile runs at once on resume.
 */
class PausableClock implements Clock {
  paused = false;
  private held: Array<() => void> = [];
  constructor(private readonly c: FakeClock) {}
  now(): number {
    return this.c.now();
  }
  schedule(fn: () => void, ms: number): () => void {
    let cancelled = false;
    const cancel = this.c.schedule(() => (this.paused ? this.held.push(() => cancelled || fn()) : fn()), ms);
    return () => {
      cancelled = true;
      cancel();
    };
  }
  resume(): void {
    this.paused = false;
    for (const fn of this.held.splice(0)) fn();
  }
}

/** `seed`: each announcer's jitter (audit times) from a seeded PRNG, so a schedule can be replayed. */
function lan(o: { heartbeatThread?: boolean; seed?: number } = {}) {
  const clock = new FakeClock();
  const heartbeatThreads = new Map<string, FakeHeartbeatThread>();
  const wire = new FakeLan(clock);
  /** nodes whose announcer cannot open a capture (no NET_RAW) */
  const unable = new Set<string>();
  const store = new MemoryLeaseStore();
  const policies = new MemorySource<L2AnnouncementPolicy>();
  const services = new MemorySource<Service>();
  const nodes = new MemorySource<Node>();
  const slices = new MemorySource<EndpointSlice>();
  const events = new RecordingEvents();
  // Each node's watch of the Leases; a node cut off from the apiserver hears nothing either.
  const announcers = new Map<string, Announcer>();
  const leaseSources: Array<{ source: MemorySource<LeaseObject>; store: NodeLeaseStore }> = [];
  /** every holder the Service Lease has had, in order, as written (not sampled) */
  const holderLog: string[] = [];
  store.onChange = (lease, deleted) => {
    const h = deleted ? '' : (lease.spec.holderIdentity ?? '');
    if (lease.metadata.name === serviceLeaseName('web', 'svc') && holderLog.at(-1) !== h) holderLog.push(h);
    for (const { source: s, store: nodeStore } of leaseSources) {
      if (nodeStore.cut || nodeStore.watchStalled) continue;
      if (deleted) s.remove(`${lease.metadata.namespace}/${lease.metadata.name}`);
      else s.observe(lease as LeaseObject);
    }
  };
  const running = new Map<
    string,
    { stop: AbortController; done: Promise<void>; responders: Map<string, FakeResponder>; store: NodeLeaseStore }
  >();
  const clocks = new Map<string, PausableClock>();
  /** the heartbeat key's Secret, and the key each node read last: at its start, and when it suspects a rotation */
  const secret = { key: KEY as Uint8Array };
  const nodeKey = () => {
    let key = secret.key;
    return { current: () => key, suspect: () => void (key = secret.key) };
  };
  const start = (
    node: string,
    links: Link[] = [{ name: 'eth0', mac: mac(Number(node.slice(-1))), up: true, loopback: false }],
  ) => {
    const leases = new MemorySource<LeaseObject>();
    const responders = new Map<string, FakeResponder>();
    const nodeStore = new NodeLeaseStore(store);
    leaseSources.push({ source: leases, store: nodeStore });
    const thread = new FakeHeartbeatThread(clock, responders, (i) => links.find((x) => x.name === i)?.mac ?? mac(0));
    if (o.heartbeatThread) heartbeatThreads.set(node, thread);
    const announcer = new Announcer({
      ...(o.heartbeatThread ? { heartbeats: thread } : {}),
      ...(o.seed === undefined ? {} : { random: prng(o.seed * 31 + announcers.size) }),
      sources: { policies, services, nodes, slices, leases },
      leases: nodeStore,
      events,
      clock: clocks.set(node, new PausableClock(clock)).get(node) ?? clock,
      node,
      namespace: NS,
      metrics: new AnnouncerMetrics(new Registry()),
      log: createLogger('error'),
      links: { list: () => links, read: (name) => links.find((x) => x.name === name) },
      keys: nodeKey(),
      responders: (link, onFrame) => {
        if (unable.has(node)) throw new Error('socket: Operation not permitted');
        const r = new FakeResponder(node, link, wire, onFrame);
        wire.captures.push(r);
        responders.set(link.name, r);
        return r;
      },
    });
    announcers.set(node, announcer);
    // The watch lists after the announcer has subscribed (as announcer-command starts its informers).
    for (const l of store.all()) leases.observe(l as LeaseObject);
    const stop = new AbortController();
    running.set(node, { stop, done: announcer.run(stop.signal), responders, store: nodeStore });
  };
  const node = (name: string) => nodes.put({ metadata: { name, labels: { 'kubernetes.io/hostname': name } } } as Node);
  const policy = (spec: L2AnnouncementPolicy['spec']) =>
    policies.put({
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'L2AnnouncementPolicy',
      metadata: { name: 'p' },
      spec,
    } as L2AnnouncementPolicy);
  const service = (spec: Record<string, unknown> = {}) =>
    services.put({
      metadata: { namespace: 'web', name: 'svc' },
      spec: { type: 'LoadBalancer', ...spec },
      status: { loadBalancer: { ingress: [{ ip: VIP }] } },
    } as Service);
  const holder = () => store.peek(NS, serviceLeaseName('web', 'svc'))?.spec.holderIdentity || undefined;
  const answering = () =>
    [...running]
      .filter(([n, r]) => !wire.crashed.has(n) && [...r.responders.values()].some((x) => x.addresses.includes(VIP)))
      .map(([n]) => n);
  /** Stops a node dead: no frames, no answers, no API calls (its timers still run, harmlessly). */
  const crash = (n: string) => {
    wire.crashed.add(n);
    const r = running.get(n);
    if (r) r.store.cut = true;
  };
  /** SIGSTOP: no frames either way, no timers, no watch events (the kernel holds them). */
  const pause = (n: string) => {
    wire.crashed.add(n);
    const r = running.get(n);
    if (r) r.store.cut = true;
    const c = clocks.get(n);
    if (c) c.paused = true;
  };
  /** SIGCONT with the watch (and writes) still stalled: the overdue timers run, nothing from the apiserver. */
  const resumeWatchBehind = (n: string) => {
    wire.crashed.delete(n);
    clocks.get(n)?.resume();
  };
  /** SIGCONT: the overdue timers run first (Node runs timers before I/O), then the watch catches up. */
  const resume = (n: string) => {
    wire.crashed.delete(n);
    const r = running.get(n);
    if (r) r.store.cut = false;
    clocks.get(n)?.resume();
    const source = leaseSources.find((x) => x.store === r?.store)?.source;
    for (const lease of store.all()) source?.observe(lease as LeaseObject);
  };
  const stopAll = async () => {
    for (const r of running.values()) r.stop.abort();
    await clock.advance(100);
    await Promise.all([...running.values()].map((r) => r.done));
  };
  return {
    services,
    holderLog,
    clock,
    store,
    events,
    running,
    start,
    node,
    policy,
    service,
    holder,
    answering,
    stopAll,
    slices,
    secret,
    wire,
    unable,
    crash,
    pause,
    resume,
    resumeWatchBehind,
    heartbeatThreads,
    reason: (n: string) => announcers.get(n)?.unavailableReason,
    /** The node reaches the apiserver again: its watch lists every Lease afresh. */
    reconnect: (n: string) => {
      const r = running.get(n);
      if (!r) return;
      r.store.cut = false;
      const source = leaseSources.find((x) => x.store === r.store)?.source;
      for (const lease of store.all()) source?.observe(lease as LeaseObject);
    },
    /** Writes work again, the watch never broke (etcd back): nothing is listed afresh. */
    restoreWrites: (n: string) => {
      const r = running.get(n);
      if (r) r.store.cut = false;
    },
    cutFromApiserver: (n: string) => {
      const r = running.get(n);
      if (r) r.store.cut = true;
    },
  };
}

describe('Announcer (fake clock, in-memory Leases and responders)', () => {
  it("one selected node holds the Lease and answers; the Lease names the Service and the holder's MAC", async () => {
    const l = lan();
    for (const n of ['node1', 'node2', 'node3']) l.node(n);
    l.policy({
      nodeSelector: {
        matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node1', 'node2'] }],
      },
    });
    l.service();
    for (const n of ['node1', 'node2', 'node3']) l.start(n);
    await l.clock.advance(3_000);
    const holder = l.holder();
    assert.ok(holder === 'node1' || holder === 'node2', `holder ${holder}`);
    assert.deepEqual(l.answering(), [holder]);
    const lease = l.store.peek(NS, serviceLeaseName('web', 'svc'));
    assert.equal(lease?.metadata.annotations?.['lanlb.io/service'], 'web/svc');
    assert.equal(lease?.metadata.annotations?.['lanlb.io/interfaces'], 'eth0');
    assert.equal(lease?.metadata.annotations?.['lanlb.io/hardware-addresses'], `02:00:00:00:00:0${holder?.slice(-1)}`);
    assert.deepEqual(l.events.reasons('web/svc'), ['L2Announcing']);
    await l.stopAll();
  });

  /** Steps time and records what the LAN saw: dark time, time with two answering, holder changes. */
  async function timeline(l: ReturnType<typeof lan>, ms: number, step = 10) {
    let dark = 0;
    let overlap = 0;
    const from = l.holderLog.length;
    for (let t = 0; t < ms; t += step) {
      await l.clock.advance(step);
      const a = l.answering();
      if (a.length === 0) dark += step;
      if (a.length > 1) overlap += step;
      if (l.holderLog.length - from > 20) break; // flapping: the test has failed, stop before it grows
    }
    // Every holder written, starting with the one before the timeline.
    const holders = [l.holder() ?? '', ...l.holderLog.slice(from)];
    if (from < l.holderLog.length) holders[0] = l.holderLog[from - 1] ?? '';
    return { dark, overlap, holders };
  }

  async function threeNodes(o: Parameters<typeof lan>[0] = {}) {
    const l = lan(o);
    for (const n of ['node1', 'node2', 'node3']) l.node(n);
    l.policy({});
    l.service();
    for (const n of ['node1', 'node2', 'node3']) l.start(n);
    await l.clock.advance(3_000);
    const first = l.holder() ?? '';
    assert.ok(first, 'someone holds');
    return { l, first };
  }

  it('holder crash: another node answers within 1 s, never two at once', async () => {
    const { l, first } = await threeNodes();
    l.crash(first);
    const r = await timeline(l, 3_000);
    assert.notEqual(l.holder(), first);
    assert.equal(l.answering().length, 1);
    assert.ok(r.dark <= 1_000, `dark for ${r.dark} ms`);
    assert.equal(r.overlap, 0);
    await l.stopAll();
  });

  it('answer-thread heartbeats: holder at 100 ms, others at 1 s; a crash taken over within 1 s', async () => {
    const { l, first } = await threeNodes({ heartbeatThread: true });
    for (const [n, t] of l.heartbeatThreads) {
      const holds = n === first;
      const intervals = t.plans.map((p) => p?.intervalMs).filter((x, i, xs) => i === 0 || xs[i - 1] !== x);
      assert.deepEqual(intervals, holds ? [1_000, 100] : [1_000], `${n} was given a plan per change of role`);
      // Of three nodes, both others are among the first three after the holder: they watch it.
      assert.deepEqual(t.plans.at(-1)?.watched, holds ? [] : [first], `${n} hears every frame of the holder only`);
      assert.ok(
        t.plans.every((p) => p?.node === n && p.peerIntervalMs === 100),
        `${n}: its own plans, peers judged at 100 ms`,
      );
      const sent = [...(l.running.get(n)?.responders.values() ?? [])].reduce((a, r) => a + r.heartbeatsSent, 0);
      assert.ok(holds ? t.sent >= 20 : t.sent <= 5, `${n}: ${t.sent} frames in 3 s`);
      assert.equal(sent, t.sent, `${n} sent no heartbeat frame itself`);
    }
    l.crash(first);
    const r = await timeline(l, 3_000);
    assert.notEqual(l.holder(), first);
    assert.ok(r.dark <= 1_000, `dark for ${r.dark} ms`);
    assert.equal(r.overlap, 0);
    await l.stopAll();
    for (const [n, t] of l.heartbeatThreads) assert.equal(t.plans.at(-1), undefined, `${n} stopped its heartbeats`);
  });

  it("holder's link down (no carrier): it releases and another answers within 1 s", async () => {
    const l = lan();
    for (const n of ['node1', 'node2']) l.node(n);
    l.policy({});
    l.service();
    const links = new Map(
      ['node1', 'node2'].map((n, i) => [
        n,
        [{ name: 'eth0', mac: mac(i + 1), up: true, loopback: false, carrier: true }],
      ]),
    );
    for (const n of ['node1', 'node2']) l.start(n, links.get(n));
    await l.clock.advance(3_000);
    const first = l.holder() ?? '';
    const link = links.get(first)?.[0];
    if (link) link.carrier = false;
    const r = await timeline(l, 3_000);
    assert.notEqual(l.holder(), first);
    assert.ok(r.dark <= 1_000, `dark for ${r.dark} ms`);
    assert.equal(r.overlap, 0);
    await l.stopAll();
  });

  it('holder cut from the apiserver only: it keeps answering and nobody takes over (60 s)', async () => {
    const { l, first } = await threeNodes();
    l.cutFromApiserver(first);
    const r = await timeline(l, 60_000, 50);
    assert.deepEqual(r.holders, [first]);
    assert.equal(r.dark, 0);
    assert.equal(r.overlap, 0);
    await l.stopAll();
  });

  it('every node cut from the apiserver for 2 minutes: the VIP is never dark, nothing moves after', async () => {
    const { l, first } = await threeNodes();
    for (const n of ['node1', 'node2', 'node3']) l.cutFromApiserver(n);
    const during = await timeline(l, 120_000, 50);
    for (const n of ['node1', 'node2', 'node3']) l.reconnect(n);
    const after = await timeline(l, 60_000, 50);
    assert.deepEqual([during.holders, after.holders], [[first], [first]]);
    assert.deepEqual([during.dark, during.overlap, after.dark, after.overlap], [0, 0, 0, 0]);
    await l.stopAll();
  });

  it('heartbeat frames filtered while the data path works: probes find the holder, nothing moves', async () => {
    const { l, first } = await threeNodes();
    l.wire.filterHeartbeats = true;
    const r = await timeline(l, 60_000, 50);
    assert.deepEqual(r.holders, [first]);
    assert.deepEqual([r.dark, r.overlap], [0, 0]);
    await l.stopAll();
  });

  it('heartbeats filtered, then the holder crashes: taken over at the next probe (within 11 s)', async () => {
    const { l, first } = await threeNodes();
    l.wire.filterHeartbeats = true;
    await l.clock.advance(5_000);
    l.crash(first);
    const r = await timeline(l, 15_000, 50);
    assert.notEqual(l.holder(), first);
    assert.ok(r.dark <= 11_000, `dark for ${r.dark} ms`);
    assert.equal(r.overlap, 0);
    await l.stopAll();
  });

  // Over several audit schedules: with some (seeds 17, 27 and 28 of these), the old holder's audit of
  // the new one went unanswered across the partition, found it "dark" and took the Service back.
  for (const seed of [1, 17, 27, 28]) {
    it(`LAN partition: the far side takes over once, the old holder withdraws (audit seed ${seed})`, async () => {
      const { l, first } = await threeNodes({ seed });
      for (const n of ['node1', 'node2', 'node3']) l.wire.side.set(n, n === first ? 'a' : 'b');
      const r = await timeline(l, 60_000, 50);
      assert.equal(r.holders.length, 2, `holders: ${r.holders.join(' -> ')}`);
      assert.notEqual(l.holder(), first);
      assert.ok(r.overlap <= 100, `two answering for ${r.overlap} ms`);
      await l.stopAll();
    });
  }

  // Found by the L2 chaos run (issue 29): a holder paused longer than the silence threshold is
  // taken over; resumed, it judged the new holder (which took the Service from it, so by its
  // Kubernetes-side heartbeat) on a read of that node's Lease made a minute before, when it did
  // not exist yet: "dead", and took the Service back. A second move, and two MACs meanwhile.
  it('holder paused 3 s (SIGSTOP) and resumed: taken over once, it does not take the Service back', async () => {
    const l = lan({ seed: 3 });
    const names = ['node1', 'node2', 'node3'];
    for (const n of names) l.node(n);
    l.policy({});
    l.start('node1'); // alone for 2 s: it reads its peers' node Leases, which do not exist yet
    await l.clock.advance(2_000);
    l.service();
    await l.clock.advance(2_000);
    assert.equal(l.holder(), 'node1', 'the only node running holds');
    for (const n of ['node2', 'node3']) l.start(n);
    await l.clock.advance(60_000);
    l.pause('node1');
    await l.clock.advance(3_000);
    const moved = l.holder();
    assert.notEqual(moved, 'node1', 'taken over during the pause');
    l.resume('node1');
    const r = await timeline(l, 10_000, 10);
    assert.deepEqual(r.holders, [moved], `no move after the resume: ${r.holders.join(' -> ')}`);
    assert.ok(r.overlap <= 50, `two answering for ${r.overlap} ms after the resume`);
    await l.stopAll();
  });

  // Found by the L2 chaos run: a node whose own link flapped (shorter than the link poll) heard
  // no heartbeats, probed while its link was down, judged every holder dead and took every Service.
  it("a candidate's own link flapping: it takes nothing over (carrier changes between polls)", async () => {
    const l = lan({ seed: 5 });
    const names = ['node1', 'node2', 'node3'];
    for (const n of names) l.node(n);
    l.policy({});
    l.service();
    const links = new Map(
      names.map((n, i) => [n, [{ name: 'eth0', mac: mac(i + 1), up: true, loopback: false, carrierChanges: 1 }]]),
    );
    for (const n of names) l.start(n, links.get(n));
    await l.clock.advance(3_000);
    const first = l.holder() ?? '';
    const flapping = names.find((n) => n !== first) ?? '';
    const link = links.get(flapping)?.[0];
    const from = l.holderLog.length;
    for (let i = 0; i < 12 && link; i++) {
      l.wire.crashed.add(flapping); // link down: nothing heard, nothing sent
      link.carrierChanges++;
      await l.clock.advance(300 + (i % 3) * 100);
      l.wire.crashed.delete(flapping);
      link.carrierChanges++;
      await l.clock.advance(100 + (i % 2) * 100);
    }
    await l.clock.advance(2_000);
    assert.deepEqual(l.holderLog.slice(from), [], `the Lease stayed with ${first}`);
    await l.stopAll();
  });

  // Found by the L2 chaos run: a holder's link went down (its way to the apiserver with it), so it
  // stopped answering and another node took the Service over. Back up, its watch had not yet
  // delivered that write (TCP was still retransmitting): its view still named it holder, and it
  // answered again beside the new holder until the watch caught up.
  it("holder's link down and up, its watch behind: it answers again only when the Lease is still its", async () => {
    const { l, links, first } = await nodesOnLinks(7, 3);
    const link = links.get(first)?.[0];
    assert.ok(link, 'the holder has a link');
    link.carrier = false;
    l.wire.crashed.add(first); // nothing heard, nothing sent
    l.cutFromApiserver(first);
    await l.clock.advance(3_000);
    const moved = l.holder();
    assert.notEqual(moved, first, 'taken over while its link was down');
    link.carrier = true;
    l.wire.crashed.delete(first);
    l.restoreWrites(first); // reachable again, but its watch has not delivered the takeover yet
    const r = await timeline(l, 10_000, 10);
    assert.equal(r.overlap, 0, `${first} answered beside ${moved ?? ''} for ${r.overlap} ms`);
    assert.deepEqual(r.holders, [moved], `no move after the link came back: ${r.holders.join(' -> ')}`);
    await l.stopAll();
  });

  /** Four nodes and eight Services (namespace many), every one held after 5 s; `held`: their Leases. */
  async function fourNodesEightServices(seed: number, nodes = 4, services = 8) {
    const l = lan({ seed });
    const { names, held } = manyServices(l, nodes, services);
    for (const n of names) l.start(n);
    await l.clock.advance(5_000);
    return { l, names, held };
  }

  /** Nodes node1.. selected by one policy, and Services many/s0.. (192.0.2.20 on); `held`: their Leases. */
  function manyServices(l: ReturnType<typeof lan>, nodes: number, services: number) {
    const names = Array.from({ length: nodes }, (_, i) => `node${i + 1}`);
    for (const n of names) l.node(n);
    l.policy({});
    for (let i = 0; i < services; i++)
      l.services.put({
        metadata: { namespace: 'many', name: `s${i}` },
        spec: { type: 'LoadBalancer' },
        status: { loadBalancer: { ingress: [{ ip: `192.0.2.${20 + i}` }] } },
      } as Service);
    const held = () => l.store.all().filter((x) => x.metadata.name.startsWith('lanlb-l2-many.'));
    return { names, held };
  }

  // Found by the L2 chaos run: a node alone on its side of a LAN partition (the apiserver still
  // reachable) judged every holder dead and took over what it was first in line for; the LAN was
  // dark until the others took it back.
  for (const seed of [13, 14, 15, 16, 17, 18])
    it(`alone on its side of a partition, a node takes nothing from live holders (seed ${seed})`, async () => {
      const { l, names, held } = await fourNodesEightServices(seed);
      const holders = () => new Map(held().map((x) => [x.metadata.name, x.spec.holderIdentity ?? '']));
      const before = holders();
      assert.equal(before.size, 8, 'every Service held');
      const alone = 'node1';
      for (const n of names) l.wire.side.set(n, n === alone ? 'b' : 'a');
      await l.clock.advance(10_000);
      // Only its own Services move (the LAN cannot hear it); without this it took all the others,
      // and the LAN took them back from it.
      const moved = [...holders()].filter(([name, h]) => before.get(name) !== alone && h !== before.get(name));
      assert.deepEqual(moved, [], `Services of live holders moved while ${alone} was cut off`);
      await l.stopAll();
    });

  // Found by the L2 chaos run (5 nodes): a node cut off watching fewer than three holders took over
  // what it was first in line for (dark until the others took it back, 0.75 s and more; once, after
  // an apiserver freeze, 21 s). Its probe unanswered and nothing heard from anyone since it was
  // sent, though others were heard just before, it takes itself for cut off and takes nothing.
  for (const seed of [51, 52, 53, 54])
    it(`cut off, watching under three holders, a node takes nothing from live holders (seed ${seed})`, async () => {
      for (const alone of ['node1', 'node2', 'node3']) {
        const { l, names, held } = await fourNodesEightServices(seed, 3, 6);
        const before = new Map(held().map((x) => [x.metadata.name, x.spec.holderIdentity ?? '']));
        // Every node holds a Service, so the cut-off one has witnesses to probe with its probe.
        assert.equal(new Set(before.values()).size, 3, `every node holds: ${JSON.stringify([...before])}`);
        for (const n of names) l.wire.side.set(n, n === alone ? 'b' : 'a');
        await l.clock.advance(5_000);
        const after = new Map(held().map((x) => [x.metadata.name, x.spec.holderIdentity ?? '']));
        const moved = [...after].filter(([name, h]) => before.get(name) !== alone && h !== before.get(name));
        assert.deepEqual(moved, [], `Services of live holders moved while ${alone} was cut off`);
        await l.stopAll();
      }
    });

  // The 30-minute chaos run found a holder killed while another holder's link flapped taken for the
  // watchers' own isolation (nothing taken over for 3.4 s); wire-liveness.test.ts reproduces that
  // rule's fault. Here the whole announcer, with the flap on the fake LAN's timing.
  it("a holder's crash while another holder's link flaps: its Services are taken over within 1.5 s", async () => {
    const { l, held } = await fourNodesEightServices(21);
    const [dead = '', flapping = ''] = [...new Set(held().map((x) => x.spec.holderIdentity ?? ''))];
    l.crash(dead);
    for (let t = 0; t < 1_500; t += 100) {
      if (t % 200 === 0) l.wire.crashed.add(flapping);
      else l.wire.crashed.delete(flapping);
      await l.clock.advance(100);
    }
    l.wire.crashed.delete(flapping);
    const left = held().filter((x) => x.spec.holderIdentity === dead);
    assert.deepEqual(
      left.map((x) => x.metadata.name),
      [],
      `${dead}'s Services still its own 1.5 s after its crash`,
    );
    await l.stopAll();
  });

  // Found by the L2 chaos run: a node judged a holder that had taken a Service from it by its node
  // Lease alone (the rule for nodes that cannot hear each other) though it heard that holder's
  // heartbeats; the holder and the only other candidate killed, it left the VIP dark 4.4 s, until
  // the holder restarted. Heard since the takeover, the holder is judged on the wire again.
  it('a holder that took the Service from a node this node hears: its crash is taken over within 1.5 s', async () => {
    const { l, first } = await threeNodes({ seed: 41 });
    for (const n of ['node1', 'node2', 'node3']) l.wire.side.set(n, n === first ? 'b' : 'a');
    await l.clock.advance(3_000);
    const taker = l.holder() ?? '';
    assert.notEqual(taker, first, 'taken over across the partition');
    for (const n of ['node1', 'node2', 'node3']) l.wire.side.set(n, 'a');
    await l.clock.advance(3_000); // healed: it hears the taker again
    assert.equal(l.holder(), taker, 'nothing moved back');
    // Only the taker crashes: the third node stays, ranked after the first (which held the Service
    // first), and is the witness that the LAN still carries frames. Judging the taker by its node
    // Lease, the first would wait, and the third would take the Service after its stagger.
    l.crash(taker);
    await l.clock.advance(1_500);
    assert.equal(l.holder(), first, 'the first in line took the Service within 1.5 s');
    await l.stopAll();
  });

  // Found by the 30-minute L2 chaos run: the heartbeat key was rotated, then the holder and the
  // third candidate were killed and the second took the Service over; the two restarted on the new
  // key, the taker still had the old one (read every 30 s, and the apiserver was frozen), and its
  // crash 9 s later went unseen on the wire: dark 4.1 s, until it restarted. Frames that fail
  // authentication make a node read the key again at once.
  for (const seed of [91, 92, 93])
    it(`key rotated, two restarted on the new one, the taker killed: taken over (seed ${seed})`, async () => {
      const l = lan({ seed });
      const names = ['node1', 'node2', 'node3', 'node4'];
      for (const n of names) l.node(n);
      const selected = ['node1', 'node2', 'node3'];
      l.policy({
        nodeSelector: { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: selected }] },
      });
      l.service();
      for (const n of names) l.start(n);
      await l.clock.advance(3_000);
      const first = l.holder() ?? '';
      const [, third = ''] = selected.filter((n) => n !== first);
      for (const n of [first, third]) l.crash(n);
      for (let t = 0; t < 60_000 && l.holder() === first; t += 100) await l.clock.advance(100);
      const taker = l.holder() ?? '';
      assert.ok(taker !== first && selected.includes(taker), `taken over by ${taker}`);
      l.secret.key = Buffer.from('rotated-'.repeat(4));
      for (const n of [first, third]) {
        l.running.get(n)?.stop.abort();
        await l.clock.advance(100);
        l.wire.crashed.delete(n);
        l.start(n);
      }
      await l.clock.advance(9_000);
      assert.equal(l.holder(), taker, 'nothing moved while all ran');
      l.crash(taker);
      await l.clock.advance(1_500);
      assert.notEqual(l.holder(), taker, `still ${taker}'s 1.5 s after its crash`);
      assert.equal(l.answering().length, 1);
      await l.stopAll();
    });

  // Found by the L2 chaos run: a takeover written during an apiserver freeze landed at the thaw,
  // but the writer's request had failed on its side, and its view (the Lease's copy) still named
  // the crashed holder: it kept trying to take over with a stale version, and the others, seeing
  // it named and alive, waited; the VIP stayed dark. A write that fails is followed by a read.
  it('a takeover whose response is lost: the writer reads the Lease, finds itself named, and answers', async () => {
    const { l, first } = await threeNodes({ seed: 43 });
    for (const n of ['node1', 'node2', 'node3']) {
      const store = l.running.get(n)?.store;
      if (n !== first && store) {
        store.loseNextResponse = true;
        store.watchStalled = true;
      }
    }
    l.crash(first);
    const r = await timeline(l, 3_000);
    const taker = l.holder() ?? '';
    assert.notEqual(taker, first, 'taken over');
    assert.deepEqual(l.answering(), [taker], `the named node answers: ${l.answering().join(', ') || 'nobody'}`);
    assert.ok(r.dark <= 1_500, `dark for ${r.dark} ms`);
    await l.stopAll();
  });

  // Two holders killed together (the chaos run's kills 0.1 s apart), seven nodes: the candidates
  // after them take every Service within the crash bound, whoever was first in line.
  for (const seed of [31, 32])
    it(`two holders crash together: all their Services are taken over within 1.5 s (seed ${seed})`, async () => {
      const { l, held } = await fourNodesEightServices(seed, 7, 14);
      const [a = '', b = ''] = [...new Set(held().map((x) => x.spec.holderIdentity ?? ''))];
      l.crash(a);
      l.crash(b);
      await l.clock.advance(1_500);
      const left = held().filter((x) => x.spec.holderIdentity === a || x.spec.holderIdentity === b);
      const names = left.map((x) => `${x.metadata.name} (${x.spec.holderIdentity ?? ''})`);
      assert.deepEqual(names, [], `still held by ${a} or ${b} 1.5 s after both crashed`);
      await l.stopAll();
    });

  /** Nodes on links with carrier, one Service held after 3 s; `down(n)` takes a node's link down (no frames). */
  async function nodesOnLinks(seed: number, count: number) {
    const l = lan({ seed });
    const names = Array.from({ length: count }, (_, i) => `node${i + 1}`);
    for (const n of names) l.node(n);
    l.policy({});
    l.service();
    const links = new Map(
      names.map((n, i) => [n, [{ name: 'eth0', mac: mac(i + 1), up: true, loopback: false, carrier: true }]]),
    );
    for (const n of names) l.start(n, links.get(n));
    await l.clock.advance(3_000);
    const down = (n: string) => {
      const link = links.get(n)?.[0];
      if (link) link.carrier = false;
      l.wire.crashed.add(n);
    };
    return { l, names, links, down, first: l.holder() ?? '' };
  }

  // Found by the L2 chaos run (4 nodes): a holder whose link went down handed its Service over to
  // a node whose own link had been down for 2 s (its deafness made every peer look alive); that
  // node could not answer and handed it back, and the two passed the Lease to and fro every
  // 100 ms until a link came back: 20 Lease writes in 2 s, the VIP dark all along. A hand-over now
  // names only a node heard lately on the wire; a node that heard nobody lately releases the Lease.
  for (const seed of [61, 62])
    it(`a holder's link down after another's: no hand-over to the deaf node, no ping-pong (seed ${seed})`, async () => {
      for (const deaf of ['node1', 'node2', 'node3', 'node4']) {
        const { l, names, down, first } = await nodesOnLinks(seed, 4);
        if (deaf === first) {
          await l.stopAll();
          continue;
        }
        down(deaf);
        await l.clock.advance(2_000);
        assert.equal(l.holder(), first, "a non-holder's link down moves nothing");
        down(first);
        const r = await timeline(l, 4_000, 10);
        const live = names.filter((n) => n !== deaf && n !== first);
        const moves = `${r.holders.length - 1} moves: ${r.holders.slice(0, 8).join(' -> ')}`;
        assert.ok(!r.holders.includes(deaf), `handed to ${deaf}, whose link was down (${moves})`);
        assert.ok(r.holders.length <= 3, moves);
        assert.ok(live.includes(l.holder() ?? ''), `held by a live node at the end: ${l.holder() ?? 'nobody'}`);
        assert.ok(r.dark <= 1_500, `dark for ${r.dark} ms`);
        await l.stopAll();
      }
    });

  // Found by the 10-minute L2 chaos run (4 nodes): two holders' links flapping at once passed their
  // Services to each other at every flap (each named the other, heard between flaps): 50 Lease
  // writes in a second. A node deaf within the last 1.5 s names nobody when it lets a Service go,
  // and takes no free one: the nodes that hear the LAN decide.
  for (const seed of [81, 82])
    it(`two holders' links flapping together: each Service moves away once or twice (seed ${seed})`, async () => {
      const l = lan({ seed });
      const { names, held } = manyServices(l, 4, 8);
      const links = new Map(
        names.map((n, i) => [n, [{ name: 'eth0', mac: mac(i + 1), up: true, loopback: false, carrier: true }]]),
      );
      // node1 and node2 first: they hold every Service; node3 and node4 join idle.
      for (const n of names.slice(0, 2)) l.start(n, links.get(n));
      await l.clock.advance(5_000);
      for (const n of names.slice(2)) l.start(n, links.get(n));
      await l.clock.advance(2_000);
      const [a, b] = ['node1', 'node2'];
      const theirs = held().filter((x) => x.spec.holderIdentity === a || x.spec.holderIdentity === b).length;
      const writes = () => names.reduce((sum, n) => sum + (l.running.get(n)?.store.writes ?? 0), 0);
      const before = writes();
      const set = (n: string, up: boolean) => {
        const link = links.get(n)?.[0];
        if (link) link.carrier = up;
        if (up) l.wire.crashed.delete(n);
        else l.wire.crashed.add(n);
      };
      // Out of step, as two independent flaps are: one is down while the other is up.
      for (let i = 0; i < 8; i++) {
        set(i % 2 ? a : b, true);
        set(i % 2 ? b : a, false);
        await l.clock.advance(600);
      }
      for (const n of [a, b]) set(n, true);
      await l.clock.advance(3_000);
      const written = writes() - before;
      assert.ok(written <= 2 * theirs + 4, `${written} Lease writes for ${theirs} Services of ${a} and ${b}`);
      assert.equal(held().length, 8, 'every Service still held');
      await l.stopAll();
    });

  // Found by the L2 chaos run (4 nodes): a node alone on its side of a partition, with only one
  // other node holding anything, had no holder to probe as a witness; its probe of that holder
  // unanswered, it took everything over from it, and the LAN was dark 0.65 s until the others
  // took it back. Other peers heard lately are witnesses too: their heartbeats (one a second while
  // idle) must go on arriving, or this node is the one cut off.
  for (const seed of [71, 72, 73])
    it(`cut off where one other node holds everything: it takes nothing from it (seed ${seed})`, async () => {
      const l = lan({ seed });
      const { names, held } = manyServices(l, 4, 6);
      l.start('node1');
      await l.clock.advance(5_000);
      for (const n of names.slice(1)) l.start(n);
      await l.clock.advance(3_000);
      assert.deepEqual(new Set(held().map((x) => x.spec.holderIdentity)), new Set(['node1']), 'node1 holds all');
      l.wire.side.set('node2', 'b');
      await l.clock.advance(5_000);
      const moved = held().filter((x) => x.spec.holderIdentity !== 'node1');
      assert.deepEqual(
        moved.map((x) => `${x.metadata.name}: ${x.spec.holderIdentity ?? ''}`),
        [],
        'taken from a live holder by a node cut off',
      );
      // The same node, not cut off, still takes over from a holder that crashed, within 1.5 s.
      l.wire.side.delete('node2');
      await l.clock.advance(3_000);
      l.crash('node1');
      await l.clock.advance(1_500);
      const left = held().filter((x) => x.spec.holderIdentity === 'node1');
      assert.deepEqual(
        left.map((x) => x.metadata.name),
        [],
        'still held by the crashed node after 1.5 s',
      );
      await l.stopAll();
    });

  // Found by the L2 chaos run: a holder paused past the silence threshold (SIGSTOP) was replaced;
  // resumed, it answered from its old table until its watch delivered the takeover (4 VIPs, 150 ms
  // and more). Deaf that long, it now stops at its first tick and answers again only on a Lease
  // its own write confirms.
  it('a holder paused 2 s, its watch behind after the resume: it stops answering at its first tick', async () => {
    const { l, first } = await threeNodes({ seed: 11 });
    l.pause(first);
    await l.clock.advance(2_000);
    const moved = l.holder();
    assert.notEqual(moved, first, 'taken over during the pause');
    l.resumeWatchBehind(first); // its timers run; the watch and its writes are still stalled
    const r = await timeline(l, 1_000, 10);
    assert.ok(r.overlap <= 10, `${first} answered beside ${moved ?? ''} for ${r.overlap} ms`);
    l.reconnect(first);
    const after = await timeline(l, 3_000, 10);
    assert.deepEqual(after.holders, [moved], `no move after the watch caught up: ${after.holders.join(' -> ')}`);
    assert.equal(after.overlap, 0);
    await l.stopAll();
  });

  it('a holder deaf shorter than a takeover needs (one 150 ms flap) keeps answering, writes nothing', async () => {
    const { l, first } = await threeNodes({ seed: 12 });
    const writes = l.running.get(first)?.store.writes ?? 0;
    l.wire.crashed.add(first);
    await l.clock.advance(150);
    l.wire.crashed.delete(first);
    const r = await timeline(l, 3_000, 10);
    assert.deepEqual([r.dark, r.holders], [0, [first]]);
    assert.equal(l.running.get(first)?.store.writes, writes, 'no confirming write');
    await l.stopAll();
  });

  /**
   * Two segments from the start (a policy spanning them): the nodes never hear each other on the
   * wire, so each judges the other by its Kubernetes-side heartbeat (node Lease, renewed every
   * 10 s, dead 40 s after its last renewal was seen) and only while its own heartbeat has been
   * written for 20 s (2 renewals): the trust in that silence is what these scenarios turn.
   */
  async function twoSegments() {
    const l = lan();
    for (const n of ['node1', 'node2']) l.node(n);
    l.wire.side.set('node1', 'a');
    l.wire.side.set('node2', 'b');
    l.policy({});
    l.service();
    for (const n of ['node1', 'node2']) l.start(n);
    await l.clock.advance(3_000);
    const first = l.holder() ?? '';
    assert.ok(first, 'someone holds');
    return { l, first, other: first === 'node1' ? 'node2' : 'node1' };
  }

  describe('judged by the node Lease: peers that never hear each other (two segments)', () => {
    it('trusted: a live holder is never taken over (5 min), no flapping', async () => {
      const { l, first } = await twoSegments();
      const r = await timeline(l, 300_000, 100);
      assert.deepEqual(r.holders, [first], `the holder stays: ${r.holders.join(' -> ')}`);
      assert.equal(r.dark, 0, 'never dark');
      await l.stopAll();
    });

    it('trusted: a crashed holder is taken over once its node Lease expires (30-60 s), once', async () => {
      const { l, first, other } = await twoSegments();
      l.crash(first);
      await l.clock.advance(29_000);
      assert.equal(l.holder(), first, 'not before its node Lease can have expired (last renewal <= 10 s old + 40 s)');
      const r = await timeline(l, 31_000, 100);
      assert.equal(l.holder(), other, 'taken over by the node Lease judgement');
      assert.equal(r.holders.length, 2, `one takeover: ${r.holders.join(' -> ')}`);
      await l.stopAll();
    });

    it('untrusted: an apiserver outage (2 min) renews no node Lease, and nobody is judged dead by it', async () => {
      const { l, first } = await twoSegments();
      for (const n of ['node1', 'node2']) l.cutFromApiserver(n);
      const during = await timeline(l, 120_000, 100);
      assert.deepEqual(during.holders, [first], 'stale node Leases are not read as death during the outage');
      assert.deepEqual([during.dark, during.overlap], [0, 0], 'the holder answers throughout, alone');
      await l.stopAll();
    });

    it('the apiserver back: 2-minute-old node Leases are not death before own renewals are trusted', async () => {
      const { l, first } = await twoSegments();
      for (const n of ['node1', 'node2']) l.cutFromApiserver(n);
      await l.clock.advance(120_000);
      for (const n of ['node1', 'node2']) l.reconnect(n);
      // Both node Leases are 2 minutes old when first read after the outage; the holder renews
      // within 10 s, and its silence is trusted only after 20 s of this node's own renewals.
      const after = await timeline(l, 60_000, 100);
      assert.deepEqual(after.holders, [first], `nothing moves after the outage: ${after.holders.join(' -> ')}`);
      assert.deepEqual([after.dark, after.overlap], [0, 0], 'never dark, never two');
      await l.stopAll();
    });

    it('writes fail for everyone, watches stay open (etcd down 2 min), then work: nothing moves', async () => {
      const { l, first } = await twoSegments();
      for (const n of ['node1', 'node2']) l.cutFromApiserver(n);
      await l.clock.advance(120_000);
      // No relist: every node Lease still looks 2 minutes stale until its holder renews (<= 10 s).
      // Only the rule "trust silence after 20 s of own renewals" keeps the other from taking over.
      for (const n of ['node1', 'node2']) l.restoreWrites(n);
      const after = await timeline(l, 60_000, 100);
      assert.deepEqual(after.holders, [first], `nothing moves: ${after.holders.join(' -> ')}`);
      assert.deepEqual([after.dark, after.overlap], [0, 0], 'never dark, never two');
      await l.stopAll();
    });

    it('a holder that died during the outage is taken over once trust has returned, not before', async () => {
      const { l, first, other } = await twoSegments();
      for (const n of ['node1', 'node2']) l.cutFromApiserver(n);
      l.crash(first);
      await l.clock.advance(120_000);
      l.reconnect(other);
      await l.clock.advance(19_000);
      assert.equal(l.holder(), first, 'not within 20 s of the outage: its own heartbeat is not yet trusted');
      await l.clock.advance(41_000);
      assert.equal(l.holder(), other, 'then the dead holder is taken over');
      await l.stopAll();
    });
  });

  it('a node that cannot capture (no NET_RAW) holds nothing, says why, and warns on its Node', async () => {
    const l = lan();
    for (const n of ['node1', 'node2']) l.node(n);
    l.policy({});
    l.service();
    l.unable.add('node1');
    l.unable.add('node2');
    l.start('node1');
    await l.clock.advance(2_000);
    assert.equal(l.holder(), undefined, 'a node that cannot answer wins no Lease');
    assert.deepEqual(l.events.reasons('node/node1'), ['L2Unavailable']);
    assert.match(l.reason('node1') ?? '', /cannot capture and send on any selected interface.*not permitted/);
    l.unable.delete('node2');
    l.start('node2');
    await l.clock.advance(2_000);
    assert.equal(l.holder(), 'node2');
    assert.deepEqual(l.answering(), ['node2']);
    await l.stopAll();
  });

  it('API writes: a node no policy selects writes nothing; a selected one at most once per 10 s', async () => {
    const l = lan();
    for (const n of ['node1', 'node2', 'node3']) l.node(n);
    l.policy({ nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'node1' } } });
    l.service();
    for (const n of ['node1', 'node2', 'node3']) l.start(n);
    await l.clock.advance(5_000);
    const before = new Map([...l.running].map(([n, r]) => [n, r.store.writes]));
    await l.clock.advance(100_000);
    const writes = (n: string) => (l.running.get(n)?.store.writes ?? 0) - (before.get(n) ?? 0);
    assert.deepEqual([writes('node2'), writes('node3')], [0, 0]);
    assert.ok(writes('node1') <= 10, `node1 wrote ${writes('node1')} times in 100 s`);
    await l.stopAll();
  });

  it('spec.announceInterval: the holder re-sends gratuitous ARP at that interval, and only the holder', async () => {
    const l = lan();
    for (const n of ['node1', 'node2']) l.node(n);
    l.policy({ announceInterval: '30s' });
    l.service();
    for (const n of ['node1', 'node2']) l.start(n);
    await l.clock.advance(3_000);
    await l.clock.advance(95_000);
    const count = (n: string) =>
      [...(l.running.get(n)?.responders.values() ?? [])].reduce((a, r) => a + r.reannounced, 0);
    const holder = l.holder() ?? '';
    assert.equal(count(holder), 3, 'at 30, 60 and 90 s');
    assert.equal(count(holder === 'node1' ? 'node2' : 'node1'), 0);
    await l.stopAll();
  });

  it('without announceInterval nothing is re-sent after the hand-over', async () => {
    const { l, first } = await threeNodes();
    await l.clock.advance(95_000);
    const count = [...(l.running.get(first)?.responders.values() ?? [])].reduce((a, r) => a + r.reannounced, 0);
    assert.equal(count, 0);
    await l.stopAll();
  });

  it('address in use: another host answers for the VIP, so nothing is announced until it leaves', async () => {
    const l = lan();
    for (const n of ['node1', 'node2']) l.node(n);
    l.policy({});
    const foreignMac = Uint8Array.from([2, 0, 0, 0, 0, 0xee]);
    const link = { name: 'eth0', mac: foreignMac, up: true, loopback: false };
    const foreign = new FakeResponder('foreign', link, l.wire, () => undefined);
    l.wire.captures.push(foreign);
    await foreign.set([{ family: 4, value: 0xc00002c8n }]); // 192.0.2.200 = VIP
    l.service();
    for (const n of ['node1', 'node2']) l.start(n);
    await l.clock.advance(10_000);
    assert.equal(l.holder(), undefined, 'not announced while another host has the address');
    assert.deepEqual(l.answering(), []);
    const warned = l.events.events.filter((e) => e.reason === 'AddressInUse');
    assert.equal(warned.length, 1, 'one Event, naming the MAC');
    assert.match(warned[0]?.message ?? '', /192\.0\.2\.200 is answered by 02:00:00:00:00:ee/);
    await foreign.close();
    await l.clock.advance(31_000);
    assert.ok(l.holder(), 'announced at the next check after the host left');
    assert.equal(l.answering().length, 1);
    await l.stopAll();
  });

  describe('node heartbeats are read when a judgement needs one, never watched (issue 28)', () => {
    const nodeReads = (l: ReturnType<typeof lan>) =>
      [...l.running.values()].flatMap((r) => r.store.reads.filter((n) => n.startsWith('lanlb-node-')));

    it('one segment (every peer heard on the wire): no node Lease is read at all in 2 minutes', async () => {
      const { l, first } = await threeNodes();
      const r = await timeline(l, 120_000, 100);
      assert.deepEqual(r.holders, [first], 'nothing moves');
      assert.deepEqual(nodeReads(l), [], 'no read: liveness is judged on the wire');
      await l.stopAll();
    });

    it('two segments: each node reads the peer it cannot hear at most once per 10 s', async () => {
      const { l } = await twoSegments();
      for (const r of l.running.values()) r.store.reads.length = 0;
      await l.clock.advance(60_000);
      for (const [node, r] of l.running) {
        const reads = r.store.reads.filter((n) => n.startsWith('lanlb-node-'));
        assert.ok(reads.length <= 7, `${node}: ${reads.length} reads in 60 s (at most one per 10 s)`);
        assert.ok(
          reads.every((n) => n !== `lanlb-node-${node}`),
          `${node} never reads its own`,
        );
      }
      await l.stopAll();
    });
  });

  describe('whose answer a probe got: the holder, another lanlb node, or a foreign host', () => {
    /** A host on the LAN that is not lanlb, answering ARP for the VIP with its own MAC. */
    const foreignHost = async (l: ReturnType<typeof lan>) => {
      const link = { name: 'eth0', mac: Uint8Array.from([2, 0, 0, 0, 0, 0xee]), up: true, loopback: false };
      const host = new FakeResponder('foreign', link, l.wire, () => undefined);
      l.wire.captures.push(host);
      await host.set([{ family: 4, value: 0xc00002c8n }]);
      return host;
    };
    /** Another lanlb node's responder answering for the VIP without holding its Lease (stale). */
    const strayLanlb = async (l: ReturnType<typeof lan>, node: string) => {
      const r = l.running.get(node)?.responders.get('eth0');
      assert.ok(r, `${node} has a responder`);
      await r.set([{ family: 4, value: 0xc00002c8n }]);
      return r;
    };

    it("silent holder, a foreign host answers its probe: not the holder's life, it is taken over", async () => {
      const { l, first } = await threeNodes();
      l.wire.filterHeartbeats = true;
      await l.clock.advance(5_000);
      l.crash(first);
      await foreignHost(l);
      await l.clock.advance(15_000);
      assert.notEqual(l.holder(), first, "the foreign MAC's answer did not keep the dead holder");
      await l.stopAll();
    });

    it("silent holder, another lanlb node answers its probe: not the holder's life, it is taken over", async () => {
      const { l, first } = await threeNodes();
      l.wire.filterHeartbeats = true;
      await l.clock.advance(5_000);
      l.crash(first);
      const stray = ['node1', 'node2', 'node3'].find((n) => n !== first) ?? '';
      await strayLanlb(l, stray);
      await l.clock.advance(15_000);
      assert.notEqual(l.holder(), first, "another lanlb node's answer did not keep the dead holder");
      await l.stopAll();
    });

    it('silent holder, its own MAC answers the probe: alive, nothing moves (heartbeats filtered)', async () => {
      const { l, first } = await threeNodes();
      l.wire.filterHeartbeats = true;
      const r = await timeline(l, 30_000, 100);
      assert.deepEqual(r.holders, [first], 'answered by its MAC: kept');
      await l.stopAll();
    });

    it('address check: another lanlb node answering for the new address is not "another host"', async () => {
      const l = lan();
      for (const n of ['node1', 'node2', 'node3']) l.node(n);
      l.policy({});
      // Another Service opens every node's capture; node3's responder then answers for the new
      // Service's address too, as a stale announcer would.
      l.services.put({
        metadata: { namespace: 'web', name: 'other' },
        spec: { type: 'LoadBalancer' },
        status: { loadBalancer: { ingress: [{ ip: '192.0.2.201' }] } },
      } as Service);
      for (const n of ['node1', 'node2', 'node3']) l.start(n);
      await l.clock.advance(3_000);
      await strayLanlb(l, 'node3');
      l.service();
      await l.clock.advance(5_000);
      const inUse = l.events.events.filter((e) => e.reason === 'AddressInUse');
      assert.deepEqual(inUse, [], 'a lanlb MAC answering is not reported as another host');
      assert.ok(l.holder(), 'the address is announced');
      await l.stopAll();
    });

    it('address check: a foreign host answering for the new address is "another host": not announced', async () => {
      const l = lan();
      for (const n of ['node1', 'node2']) l.node(n);
      l.policy({});
      await foreignHost(l);
      l.service();
      for (const n of ['node1', 'node2']) l.start(n);
      await l.clock.advance(5_000);
      assert.equal(l.events.events.filter((e) => e.reason === 'AddressInUse').length, 1, 'reported once');
      assert.equal(l.holder(), undefined, 'not announced');
      await l.stopAll();
    });
  });

  it('answer audit: a holder whose responder is dark (heartbeats still sent) is taken over, reported', async () => {
    const { l, first } = await threeNodes();
    for (const r of l.running.get(first)?.responders.values() ?? []) r.mute = true;
    for (let t = 0; t < 40_000 && l.holder() === first; t += 100) await l.clock.advance(100);
    const r = await timeline(l, 2_000, 50);
    assert.deepEqual(r.holders.length, 1, `no further move: ${r.holders.join(' -> ')}`);
    assert.equal(l.holderLog.length, 2, `one move: ${l.holderLog.join(' -> ')}`);
    assert.notEqual(l.holder(), first);
    const reported = l.events.events.filter((e) => e.reason === 'AnnouncementMismatch');
    assert.ok(reported.length >= 1, 'reported');
    assert.match(reported[0]?.message ?? '', new RegExp(`not answered by its holder ${first}`));
    // Repaired, it may win Services again: being found dark counted for the Leases it held then only.
    for (const x of l.running.get(first)?.responders.values() ?? []) x.mute = false;
    for (let i = 0; i < 12; i++)
      l.services.put({
        metadata: { namespace: 'more', name: `s${i}` },
        spec: { type: 'LoadBalancer' },
        status: { loadBalancer: { ingress: [{ ip: `192.0.2.${10 + i}` }] } },
      } as Service);
    await l.clock.advance(20_000);
    const more = l.store.all().filter((x) => x.metadata.name.startsWith('lanlb-l2-more.'));
    assert.equal(more.length, 12);
    assert.ok(
      more.some((x) => x.spec.holderIdentity === first),
      'the repaired node holds some of the new Services',
    );
    assert.deepEqual(
      more.filter((x) => (x.spec.leaseTransitions ?? 0) > 0).map((x) => x.metadata.name),
      [],
      'none was taken from it',
    );
    await l.stopAll();
  });

  // Found by the L2 e2e (flaky): the dark holder's own audit, sent just before the takeover, was
  // answered by the new holder and judged after it: "also answered by <new holder>", a false report.
  it('answer audit: a verdict on a Service that moved while the audit was out is dropped (seeds 1-40)', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const { l, first } = await threeNodes({ seed });
      for (const r of l.running.get(first)?.responders.values() ?? []) r.mute = true;
      for (let t = 0; t < 40_000 && l.holder() === first; t += 100) await l.clock.advance(100);
      await l.clock.advance(2_000);
      const stale = l.events.events.filter((e) => /also answered by/.test(e.message));
      assert.deepEqual(
        stale.map((e) => e.message),
        [],
        `seed ${seed}: ${first} reported the node that took over`,
      );
      await l.stopAll();
    }
  });

  // Found by CI's L2 e2e (2 cores, loaded): the dark holder's watch brought the takeover late, and
  // an audit judged meanwhile reported the new holder as "also answering" and re-announced over it.
  it('answer audit: another announcer answering is judged after the watch latency (1.5 s, seeds 1-20)', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { l, first } = await threeNodes({ seed });
      const held = l.running.get(first);
      for (const r of held?.responders.values() ?? []) r.mute = true;
      if (held) held.store.watchStalled = true;
      for (let t = 0; t < 40_000 && l.holder() === first; t += 100) await l.clock.advance(100);
      const reannounced = () => [...(held?.responders.values() ?? [])].reduce((a, r) => a + r.reannounced, 0);
      const before = reannounced();
      await l.clock.advance(1_500);
      if (held) held.store.watchStalled = false;
      l.reconnect(first);
      await l.clock.advance(5_000);
      const stale = l.events.events.filter((e) => /also answered by/.test(e.message));
      assert.deepEqual(
        stale.map((e) => e.message),
        [],
        `seed ${seed}: ${first} reported the node that took over`,
      );
      assert.equal(reannounced(), before, `seed ${seed}: ${first} re-announced over the new holder`);
      await l.stopAll();
    }
  });

  it('answer audit: another announcer still answering after the grace (the watch never came) is reported', async () => {
    const { l, first } = await threeNodes({ seed: 5 });
    const held = l.running.get(first);
    for (const r of held?.responders.values() ?? []) r.mute = true;
    if (held) held.store.watchStalled = true;
    for (let t = 0; t < 40_000 && l.holder() === first; t += 100) await l.clock.advance(100);
    const taker = l.holder() ?? '';
    await l.clock.advance(30_000);
    const reported = l.events.events.filter((e) => /also answered by/.test(e.message));
    assert.equal(reported.length, 1, `${first} reported once`);
    assert.match(reported[0]?.message ?? '', new RegExp(`also answered by 02:00:00:00:00:0${taker.slice(-1)}`));
    await l.stopAll();
  });

  it('answer audit: another host answering for a held VIP is reported by the holder, which re-announces', async () => {
    const { l, first } = await threeNodes();
    const link = { name: 'eth0', mac: Uint8Array.from([2, 0, 0, 0, 0, 0xee]), up: true, loopback: false };
    const foreign = new FakeResponder('foreign', link, l.wire, () => undefined);
    l.wire.captures.push(foreign);
    await foreign.set([{ family: 4, value: 0xc00002c8n }]);
    await l.clock.advance(25_000);
    const reported = l.events.events.filter((e) => e.reason === 'AnnouncementMismatch');
    assert.equal(reported.length, 1, 'reported once, not every audit');
    assert.match(reported[0]?.message ?? '', /192\.0\.2\.200 is also answered by 02:00:00:00:00:ee/);
    const count = [...(l.running.get(first)?.responders.values() ?? [])].reduce((a, x) => a + x.reannounced, 0);
    assert.ok(count >= 2, `re-announced ${count} times`);
    assert.equal(l.holder(), first, 'nothing moved');
    await l.stopAll();
  });

  it('1,000 new Services are all held within 5 s, each after its address check', async () => {
    const l = lan();
    for (const n of ['node1', 'node2', 'node3']) l.node(n);
    l.policy({});
    for (const n of ['node1', 'node2', 'node3']) l.start(n);
    await l.clock.advance(1_000);
    for (let i = 0; i < 1_000; i++)
      l.services.put({
        metadata: { namespace: 'bulk', name: `s${i}` },
        spec: { type: 'LoadBalancer' },
        status: { loadBalancer: { ingress: [{ ip: `2001:db8::${(i + 1).toString(16)}` }] } },
      } as Service);
    await l.clock.advance(5_000);
    const held = l.store.all().filter((x) => x.metadata.name.startsWith('lanlb-l2-bulk.') && x.spec.holderIdentity);
    assert.equal(held.length, 1_000);
    // Then steady: the node Leases' renewals only (3 nodes, one per 10 s each), whatever the Services.
    const writes = () => [...l.running.values()].reduce((a, r) => a + r.store.writes, 0);
    const before = writes();
    await l.clock.advance(60_000);
    assert.ok(writes() - before <= 21, `${writes() - before} writes in 60 s with 1,000 Services`);
    await l.stopAll();
  });

  it('graceful stop: the holder releases and the other takes over at once', async () => {
    const l = lan();
    for (const n of ['node1', 'node2']) l.node(n);
    l.policy({});
    l.service();
    l.start('node1');
    l.start('node2');
    await l.clock.advance(3_000);
    const first = l.holder() ?? '';
    const other = first === 'node1' ? 'node2' : 'node1';
    l.running.get(first)?.stop.abort();
    await l.clock.advance(100);
    assert.equal(l.holder(), other, 'taken over within 100 ms');
    assert.deepEqual(l.answering(), [other]);
    await l.stopAll();
  });

  it('graceful stop of the only node: its Service Lease is released (empty holder), not left to expire', async () => {
    const l = lan();
    l.node('node1');
    l.policy({});
    l.service();
    l.start('node1');
    await l.clock.advance(3_000);
    assert.equal(l.holder(), 'node1');
    await l.stopAll();
    assert.equal(l.holder(), undefined);
    assert.equal(
      l.store.peek(NS, serviceLeaseName('web', 'svc'))?.spec.leaseDurationSeconds,
      1,
      'client-go release record',
    );
  });

  it('externalTrafficPolicy Local: only a node with a ready endpoint is eligible', async () => {
    const l = lan();
    for (const n of ['node1', 'node2']) l.node(n);
    l.policy({});
    l.service({ externalTrafficPolicy: 'Local' });
    l.slices.put({
      metadata: { namespace: 'web', name: 'svc-x', labels: { 'kubernetes.io/service-name': 'svc' } },
      endpoints: [{ conditions: { ready: true }, nodeName: 'node2' }],
    });
    l.start('node1');
    l.start('node2');
    await l.clock.advance(3_000);
    assert.equal(l.holder(), 'node2');
    await l.stopAll();
  });

  it("a node whose interfaces match none of the policy's expressions never holds", async () => {
    const l = lan();
    l.node('node1');
    l.policy({ interfaces: ['^bond[0-9]+$'] });
    l.service();
    l.start('node1');
    await l.clock.advance(3_000);
    assert.equal(l.holder(), undefined);
    assert.deepEqual(l.answering(), []);
    await l.stopAll();
  });
});
