// Controller metrics (prom-client), registered on the process registry; docs/contract.md lists them.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class ControllerMetrics {
  private readonly registers: Registry[];
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
    this.registers = [registry];
    this.statusWrites = this.counter(
      'lanlb_status_writes_total',
      'Status writes: sent by the leader, or refused because leadership had ended (fenced)',
      ['outcome'],
    );
    this.poolAddresses = this.gauge(
      'lanlb_pool_addresses',
      'Addresses of a pool by state (total, used, available); an IPv6 /64 is approximate as a float',
      ['pool', 'state'],
    );
    this.allocations = this.counter('lanlb_allocations_total', 'Addresses assigned to Services', ['pool']);
    this.allocationFailures = this.counter('lanlb_allocation_failures_total', 'Failed allocations by reason', [
      'reason',
    ]);
    this.releases = this.counter('lanlb_releases_total', 'Addresses released from Services by reason', ['reason']);
    this.reconcileDuration = new Histogram({
      name: 'lanlb_reconcile_duration_seconds',
      help: 'Time per reconcile',
      labelNames: ['controller', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: this.registers,
    });
    this.queueDepth = this.gauge('lanlb_workqueue_depth', 'Keys waiting in the work queue', ['controller']);
    this.storageMigration = this.gauge(
      'lanlb_storage_migration_pending',
      '1 while objects of a CRD are still stored in an old version (the last migration failed or has not run)',
      ['crd'],
    );
    this.isLeader = this.gauge('lanlb_controller_leader', '1 while this replica leads', []);
    this.poolState = this.gauge(
      'lanlb_pool_state',
      "1 for a pool's current state (its Ready reason: Ready, Conflicting, Disabled, InvalidBlocks, InvalidSelector)",
      ['pool', 'state'],
    );
    this.servicesPending = this.gauge(
      'lanlb_services_pending',
      'LoadBalancer Services of lanlb without any address, by the reason of their last allocation (leader only)',
      ['reason'],
    );
    this.oldestPending = this.oldestPendingGauge();
  }

  /** Set at each scrape from pendingSeconds(), so the wait grows between reconciles too. */
  private oldestPendingGauge(): Gauge {
    const pendingSeconds = (): number => this.pendingSeconds();
    return new Gauge({
      name: 'lanlb_service_pending_oldest_seconds',
      help: 'How long the Service that has waited longest for an address has waited (0: none waits; leader only)',
      registers: this.registers,
      collect() {
        this.set(pendingSeconds());
      },
    });
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: this.registers });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: this.registers });
  }
}
