import { Counter, Gauge, type Registry } from 'prom-client';

export class AnnouncerMetrics {
  readonly frames: Counter<'kind' | 'family' | 'interface'>;
  readonly leasesHeld: Gauge;
  readonly transitions: Counter<'kind'>;

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
  }
}
