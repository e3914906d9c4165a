// Announcers on in-memory sources, one shared in-memory Lease store, fake responders and a fake
// clock: election, hand-over after a crash, graceful release and eligibility, in milliseconds.
// The namespace e2e proves the real adapters (informers, libpcap, /sys) on real frames.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { Announcer, DEFAULT_ANNOUNCER_TIMINGS, type Link, type Responder } from '../../../src/announcer/announcer.js';
import { AnnouncerMetrics } from '../../../src/announcer/metrics.js';
import { createLogger } from '../../../src/observability/logger.js';
import { serviceLeaseName } from '../../../src/l2/election/lease-names.js';
import { formatAddress } from '../../../src/ipam/address.js';
import type { Announced } from '../../../src/l2/codec/bpf-filter.js';
import type { Node, Service } from '../../../src/core/kube-objects.js';
import type { EndpointSlice, LeaseObject } from '../../../src/core/kube-objects.js';
import type { L2AnnouncementPolicy } from '../../../generated/index.js';
import type { Lease, LeaseStore } from '../../../src/runtime/lease-store.js';
import { KubeApiError } from '../../../src/kube/api-error.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { MemoryLeaseStore } from '../../helpers/memory-lease-store.js';
import { MemorySource, RecordingEvents } from '../../helpers/memory-cluster.js';

const NS = 'lanlb-system';
const VIP = '192.0.2.200';
const mac = (n: number) => Uint8Array.from([2, 0, 0, 0, 0, n]);

class FakeResponder implements Responder {
  addresses: string[] = [];
  closed = false;
  async set(a: readonly Announced[]): Promise<void> {
    this.addresses = a.map((x) => formatAddress(x.family, x.value));
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
  async get(ns: string, name: string) {
    this.check();
    return this.shared.get(ns, name);
  }
  async create(l: Lease) {
    this.check();
    return this.shared.create(l);
  }
  async update(l: Lease) {
    this.check();
    return this.shared.update(l);
  }
  async delete(ns: string, name: string, rv: string | undefined) {
    this.check();
    return this.shared.delete(ns, name, rv);
  }
}

function lan() {
  const clock = new FakeClock();
  const store = new MemoryLeaseStore();
  const policies = new MemorySource<L2AnnouncementPolicy>();
  const services = new MemorySource<Service>();
  const nodes = new MemorySource<Node>();
  const slices = new MemorySource<EndpointSlice>();
  const events = new RecordingEvents();
  // Each node's watch of the Leases; a node cut off from the apiserver hears nothing either.
  const leaseSources: Array<{ source: MemorySource<LeaseObject>; store: NodeLeaseStore }> = [];
  store.onChange = (lease, deleted) => {
    for (const { source: s, store: nodeStore } of leaseSources) {
      if (nodeStore.cut) continue;
      if (deleted) s.remove(`${lease.metadata.namespace}/${lease.metadata.name}`);
      else s.observe(lease as LeaseObject);
    }
  };
  const running = new Map<
    string,
    { stop: AbortController; done: Promise<void>; responders: Map<string, FakeResponder>; store: NodeLeaseStore }
  >();
  const start = (
    node: string,
    links: Link[] = [{ name: 'eth0', mac: mac(Number(node.slice(-1))), up: true, loopback: false }],
  ) => {
    const leases = new MemorySource<LeaseObject>();
    for (const l of store.all()) leases.observe(l as LeaseObject);
    const responders = new Map<string, FakeResponder>();
    const nodeStore = new NodeLeaseStore(store);
    leaseSources.push({ source: leases, store: nodeStore });
    const announcer = new Announcer({
      sources: { policies, services, nodes, slices, leases },
      leases: nodeStore,
      events,
      clock,
      node,
      namespace: NS,
      metrics: new AnnouncerMetrics(new Registry()),
      log: createLogger('error'),
      links: { list: () => links },
      responders: (link) => {
        const r = new FakeResponder();
        responders.set(link.name, r);
        return r;
      },
    });
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
    [...running].filter(([, r]) => [...r.responders.values()].some((x) => x.addresses.includes(VIP))).map(([n]) => n);
  const stopAll = async () => {
    for (const r of running.values()) r.stop.abort();
    await clock.advance(100);
    await Promise.all([...running.values()].map((r) => r.done));
  };
  return { clock, store, events, running, start, node, policy, service, holder, answering, stopAll, slices };
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

  it('a holder cut off from the apiserver stops answering before the other node takes over', async () => {
    const l = lan();
    for (const n of ['node1', 'node2']) l.node(n);
    l.policy({});
    l.service();
    l.start('node1');
    l.start('node2');
    await l.clock.advance(3_000);
    const first = l.holder() ?? '';
    const other = first === 'node1' ? 'node2' : 'node1';
    (l.running.get(first)?.store as { cut: boolean }).cut = true;
    // Timeline: the holder stops answering after renewDeadline; the other waits heartbeatDuration.
    let gap = 0;
    let overlap = 0;
    for (let t = 0; t < 4_000; t += 50) {
      await l.clock.advance(50);
      const a = l.answering();
      if (a.length === 0) gap += 50;
      if (a.length > 1) overlap += 50;
    }
    assert.equal(l.holder(), other);
    assert.deepEqual(l.answering(), [other]);
    assert.equal(overlap, 0, 'never two nodes answering');
    const t = DEFAULT_ANNOUNCER_TIMINGS;
    assert.ok(
      gap <= t.heartbeatDurationMs - t.renewDeadlineMs + t.retryPeriodMs + 2 * t.staggerMs + 100,
      `dark for ${gap} ms`,
    );
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
