// The announcer's metrics (prom-client), on the process registry; docs/contract.md lists them.
import { Counter, Gauge, type Registry } from 'prom-client';

/** Each metric's help text, by name. */
const HELP: Record<string, string> = {
  lanlb_l2_frames_total: 'ARP/NDP frames: requests received, replies sent, gratuitous sent',
  lanlb_l2_leases_held: 'Service Leases this node holds',
  lanlb_l2_transitions_total: 'Announcement transitions: acquired, released, stopped',
  lanlb_l2_heartbeat_frames_total:
    'Heartbeat frames: sent, accepted, dropped (replayed, unauthenticated, malformed, no-key, throttled), sampled',
  lanlb_l2_probes_total: "Probes of a silent holder's address: sent, answered by the holder",
  lanlb_l2_address_in_use_total:
    'Address checks before a first announcement that found another host answering (not announced)',
  lanlb_l2_audits_total:
    'Answer audits: sent, and their verdicts (ok, no-answer: holder silent, foreign: another MAC answered)',
  lanlb_l2_selected:
    '1 when an L2AnnouncementPolicy selects this node (so lanlb_l2_available 0 means unable to answer)',
  lanlb_l2_announcement_mismatches_total:
    'AnnouncementMismatch found: another MAC answers for a VIP held here (foreign), or its holder is dark',
  lanlb_l2_available: '1 when a policy selects this node and it can capture and send on a selected interface, else 0',
  lanlb_l2_peers_watched:
    "Peers whose every heartbeat frame is checked (holders this node would take over from first); others' are sampled",
  lanlb_l2_node_lease_reads_total:
    "Reads of a peer's heartbeat Lease, for peers judged by it (never heard on the wire); none on one segment",
};

export class AnnouncerMetrics {
  private readonly registers: Registry[];
  readonly frames: Counter<'kind' | 'family' | 'interface'>;
  readonly leasesHeld: Gauge;
  readonly transitions: Counter<'kind'>;
  readonly heartbeats: Counter<'outcome'>;
  readonly probes: Counter<'outcome'>;
  readonly available: Gauge;
  readonly selected: Gauge;
  readonly mismatches: Counter<'kind'>;
  readonly addressInUse: Counter;
  readonly audits: Counter<'outcome'>;
  readonly nodeLeaseReads: Counter;
  readonly peersWatched: Gauge;

  constructor(registry: Registry) {
    this.registers = [registry];
    this.frames = this.counter('lanlb_l2_frames_total', ['kind', 'family', 'interface']);
    this.leasesHeld = this.gauge('lanlb_l2_leases_held');
    this.transitions = this.counter('lanlb_l2_transitions_total', ['kind']);
    this.heartbeats = this.counter('lanlb_l2_heartbeat_frames_total', ['outcome']);
    this.probes = this.counter('lanlb_l2_probes_total', ['outcome']);
    this.addressInUse = this.counter('lanlb_l2_address_in_use_total', []);
    this.audits = this.counter('lanlb_l2_audits_total', ['outcome']);
    this.selected = this.gauge('lanlb_l2_selected');
    this.mismatches = this.counter('lanlb_l2_announcement_mismatches_total', ['kind']);
    // Both kinds exported from the start, so an alert's increase() sees the first one.
    for (const kind of ['foreign', 'dark']) this.mismatches.inc({ kind }, 0);
    this.available = this.gauge('lanlb_l2_available');
    this.nodeLeaseReads = this.counter('lanlb_l2_node_lease_reads_total', []);
    this.peersWatched = this.gauge('lanlb_l2_peers_watched');
  }

  private counter<L extends string>(name: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help: HELP[name] ?? name, labelNames, registers: this.registers });
  }

  private gauge(name: string): Gauge {
    return new Gauge({ name, help: HELP[name] ?? name, registers: this.registers });
  }
}
