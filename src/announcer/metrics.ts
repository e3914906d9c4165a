import { Counter, Gauge, type Registry } from 'prom-client';

export class AnnouncerMetrics {
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

  constructor(registry: Registry) {
    const registers = [registry];
    this.frames = new Counter({
      name: 'lanlb_l2_frames_total',
      help: 'ARP/NDP frames: requests received, replies sent, gratuitous sent',
      labelNames: ['kind', 'family', 'interface'],
      registers,
    });
    this.leasesHeld = new Gauge({ name: 'lanlb_l2_leases_held', help: 'Service Leases this node holds', registers });
    this.transitions = new Counter({
      name: 'lanlb_l2_transitions_total',
      help: 'Announcement transitions: acquired, released, stopped',
      labelNames: ['kind'],
      registers,
    });
    this.heartbeats = new Counter({
      name: 'lanlb_l2_heartbeat_frames_total',
      help: 'Heartbeat frames: sent, accepted, and dropped (replayed, unauthenticated, malformed, no-key)',
      labelNames: ['outcome'],
      registers,
    });
    this.probes = new Counter({
      name: 'lanlb_l2_probes_total',
      help: "Probes of a silent holder's address: sent, answered by the holder",
      labelNames: ['outcome'],
      registers,
    });
    this.addressInUse = new Counter({
      name: 'lanlb_l2_address_in_use_total',
      help: 'Address checks before a first announcement that found another host answering (not announced)',
      registers,
    });
    this.audits = new Counter({
      name: 'lanlb_l2_audits_total',
      help: 'Answer audits: sent, and their verdicts (ok, no-answer: holder silent, foreign: another MAC answered)',
      labelNames: ['outcome'],
      registers,
    });
    this.selected = new Gauge({
      name: 'lanlb_l2_selected',
      help: '1 when an L2AnnouncementPolicy selects this node (so lanlb_l2_available 0 means unable to answer)',
      registers,
    });
    this.mismatches = new Counter({
      name: 'lanlb_l2_announcement_mismatches_total',
      help: 'AnnouncementMismatch found: another MAC answers for a VIP held here (foreign), or its holder is dark',
      labelNames: ['kind'],
      registers,
    });
    // Both kinds exported from the start, so an alert's increase() sees the first one.
    for (const kind of ['foreign', 'dark']) this.mismatches.inc({ kind }, 0);
    this.available = new Gauge({
      name: 'lanlb_l2_available',
      help: '1 when a policy selects this node and it can capture and send on a selected interface, else 0',
      registers,
    });
  }
}
