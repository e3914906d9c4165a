// What the announcer takes (its ports and timings) and what its parts share. The announcer is
// split by concern: announcer.ts decides (plans, elections, the answer table it publishes),
// data-plane.ts keeps the captures in line with that table, lease-writes.ts writes Service Leases,
// self-checks.ts runs the address-in-use check and the answer audit, legacy-leases.ts retires the
// Lease name of the previous version.
import type { Clock } from '../runtime/clock.js';
import type { ObjectSource } from '../runtime/object-source.js';
import type { L2AnnouncementPolicy, LoadBalancerIPPool } from '../../generated/index.js';
import type { ElectionTimings } from '../l2/election/decide.js';
import type { HeardBatch } from '../l2/election/heartbeat-inbox.js';
import { DEFAULT_WIRE_TIMINGS, type Judgement, type WireTimings } from '../l2/election/wire-liveness.js';
import type { Mac } from '../l2/codec/mac.js';
import type { Announced } from '../l2/codec/bpf-filter.js';
import type { HeartbeatPlan } from '../l2/codec/heartbeat.js';
import type { KeySource, WirePeers } from '../l2/election/wire-peers.js';
import type { LeaseView } from '../l2/election/lease-view.js';
import type { Node, Service, EndpointSlice, LeaseObject } from '../core/kube-objects.js';
import type { AnnouncerMetrics } from './metrics.js';
import type { ServicePlan } from './plan/desired.js';
import type { DataPlane } from './data-plane.js';
import type { Logger } from '../runtime/ports/logger.js';
import type { LeaseStore } from '../runtime/ports/lease-store.js';
import type { EventRecorder } from '../runtime/ports/event-recorder.js';

export interface AnnouncerTimings extends ElectionTimings {
  /** decisions are re-evaluated at least this often (CPU only, no API calls) */
  tickMs: number;
  /** Kubernetes-side heartbeat of a selected node: renewed this often (kubelet's node Lease: 10 s) */
  nodeLeaseRenewMs: number;
  /** ... and a node whose heartbeat has not changed for this long is gone (for peers never heard) */
  nodeLeaseDurationMs: number;
  wire: WireTimings;
}

/** Defaults: a crashed holder is replaced within about 0.8 s, a stopped one at once. */
export const DEFAULT_ANNOUNCER_TIMINGS: AnnouncerTimings = {
  staggerMs: 100,
  tickMs: 100,
  nodeLeaseRenewMs: 10_000,
  nodeLeaseDurationMs: 40_000,
  wire: DEFAULT_WIRE_TIMINGS,
};

export interface AnnouncerSources {
  policies: ObjectSource<L2AnnouncementPolicy>;
  services: ObjectSource<Service>;
  nodes: ObjectSource<Node>;
  slices: ObjectSource<EndpointSlice>;
  /** the operator namespace's Leases labelled lanlb.io/lease */
  leases: ObjectSource<LeaseObject>;
  /** pools, for policies with a poolSelector (absent: such policies announce nothing) */
  pools?: ObjectSource<LoadBalancerIPPool>;
}

/** A network interface as the announcer needs it. */
export interface Link {
  name: string;
  mac: Mac;
  up: boolean;
  loopback: boolean;
  /** false without carrier; absent = unknown, taken as true */
  carrier?: boolean;
  /**
   * How often the carrier came and went since the interface appeared (/sys carrier_changes): a
   * change between two reads is a flap the 500 ms poll of `carrier` may not have seen.
   */
  carrierChanges?: number;
}

export interface LinkSource {
  list(): Link[];
  /** one interface read now (cheaper than list(): read on every tick for the interfaces in use) */
  read?(name: string): Link | undefined;
}

/**
 * One interface's capture: answers for a set of addresses, sends frames, and hands every
 * captured frame that is not a request (heartbeats, replies, advertisements) to its owner.
 */
export interface Responder {
  set(addresses: readonly Announced[]): Promise<void>;
  /** Sends gratuitous ARP / unsolicited NA for `addresses` once, now (spec.announceInterval). */
  reannounce(addresses: readonly Announced[]): void;
  send(frame: Uint8Array): void;
  close(): Promise<void>;
  /**
   * The capture's pause guard: answers held because the answering thread did not run for this
   * many ms (the process was stopped), reported once per hold; undefined when not held. Nothing
   * is answered or announced until release(), which the data plane sends after the next table.
   */
  heldFor?(): number | undefined;
  release?(): void;
}

export interface HeartbeatSender {
  /** from now on send heartbeat frames as `plan` says; undefined: send none */
  heartbeats(plan: HeartbeatPlan | undefined): void;
  /** peers' heartbeat frames checked where they were captured, in batches (the answer thread) */
  onHeard?(listener: (batch: HeardBatch) => void): void;
}

/** Opens a capture on an interface; throws when it cannot (no NET_RAW, no such interface). */
export type ResponderFactory = (link: Link, onFrame: (frame: Uint8Array) => void) => Responder;

export interface AnnouncerOptions {
  sources: AnnouncerSources;
  leases: LeaseStore;
  events: EventRecorder;
  metrics: AnnouncerMetrics;
  log: Logger;
  clock: Clock;
  links: LinkSource;
  responders: ResponderFactory;
  keys: KeySource;
  /**
   * Sends heartbeat frames on every open capture off this thread (the answer thread), so a busy
   * event loop here delays none; given the plan whenever it changes. Absent: sent from here.
   */
  heartbeats?: HeartbeatSender;
  node: string;
  namespace: string;
  timings?: AnnouncerTimings;
  /** jitter source in [0, 1) (audit times); default Math.random, seeded in tests */
  random?: () => number;
}

/** What the announcer's parts share: its options and the state they read (one owner each). */
export interface AnnouncerContext {
  o: AnnouncerOptions;
  t: AnnouncerTimings;
  /** the Leases this node has seen, and when */
  view: LeaseView;
  /** heartbeat frames and wire liveness */
  wire: WirePeers;
  dataPlane: DataPlane;
  /** service key -> what this node announces for it now */
  announcing: ReadonlyMap<string, ServicePlan>;
  /** re-evaluate in `ms` (0: at once) */
  schedule(ms: number): void;
  /** probes `address` on `iface`: sent with this tick's answer table, by the data plane */
  probe(iface: string, address: Announced): void;
  /** how this node judges another now (announcer.ts says how) */
  judge(node: string, now: number, wire?: boolean): Judgement;
}
