// Controller metrics (prom-client), registered on the process registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class ControllerMetrics {
  readonly poolAddresses: Gauge<'pool' | 'state'>;
  readonly allocations: Counter<'pool'>;
  readonly allocationFailures: Counter<'reason'>;
  readonly releases: Counter<'reason'>;
  readonly reconcileDuration: Histogram<'controller' | 'outcome'>;
  readonly queueDepth: Gauge<'controller'>;
  readonly isLeader: Gauge;
  readonly statusWrites: Counter<'outcome'>;
  readonly storageMigration: Gauge<'crd'>;
  readonly poolState: Gauge<'pool' | 'state'>;
  readonly servicesPending: Gauge<'reason'>;
  readonly oldestPending: Gauge;
  /** Read at each scrape: the leading controller points it at its pending Services. */
  pendingSeconds: () => number = () => 0;

  constructor(registry: Registry) {
    const registers = [registry];
    this.statusWrites = new Counter({
      name: 'lanlb_status_writes_total',
      help: 'Status writes: sent by the leader, or refused because leadership had ended (fenced)',
      labelNames: ['outcome'],
      registers,
    });
    this.poolAddresses = new Gauge({
      name: 'lanlb_pool_addresses',
      help: 'Addresses of a pool by state (total, used, available); an IPv6 /64 is approximate as a float',
      labelNames: ['pool', 'state'],
      registers,
    });
    this.allocations = new Counter({
      name: 'lanlb_allocations_total',
      help: 'Addresses assigned to Services',
      labelNames: ['pool'],
      registers,
    });
    this.allocationFailures = new Counter({
      name: 'lanlb_allocation_failures_total',
      help: 'Failed allocations by reason',
      labelNames: ['reason'],
      registers,
    });
    this.releases = new Counter({
      name: 'lanlb_releases_total',
      help: 'Addresses released from Services by reason',
      labelNames: ['reason'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'lanlb_reconcile_duration_seconds',
      help: 'Time per reconcile',
      labelNames: ['controller', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'lanlb_workqueue_depth',
      help: 'Keys waiting in the work queue',
      labelNames: ['controller'],
      registers,
    });
    this.storageMigration = new Gauge({
      name: 'lanlb_storage_migration_pending',
      help: '1 while objects of a CRD are still stored in an old version (the last migration failed or has not run)',
      labelNames: ['crd'],
      registers,
    });
    this.isLeader = new Gauge({ name: 'lanlb_controller_leader', help: '1 while this replica leads', registers });
    this.poolState = new Gauge({
      name: 'lanlb_pool_state',
      help: "1 for a pool's current state (its Ready reason: Ready, Conflicting, Disabled, InvalidBlocks, InvalidSelector)",
      labelNames: ['pool', 'state'],
      registers,
    });
    this.servicesPending = new Gauge({
      name: 'lanlb_services_pending',
      help: 'LoadBalancer Services of lanlb without any address, by the reason of their last allocation (leader only)',
      labelNames: ['reason'],
      registers,
    });
    const pendingSeconds = (): number => this.pendingSeconds();
    this.oldestPending = new Gauge({
      name: 'lanlb_service_pending_oldest_seconds',
      help: 'How long the Service that has waited longest for an address has waited (0: none waits; leader only)',
      registers,
      collect() {
        this.set(pendingSeconds());
      },
    });
  }
}
