// Events on Services (docs/contract.md reasons: IPAllocated, AllocationFailed, IPReleased, L2Announcing),
// written as core/v1 Events so `kubectl describe service` shows them. Posting happens off the
// reconcile path in a small bounded queue: a slow or failing apiserver delays Events, never
// allocations; while the controller has a backlog (`busy`), Events wait, so under load they
// trail the allocations users wait for; when the queue is full the oldest Event is dropped.
import type { KubeHttp } from './http.js';
import type { Service } from '../core/kube-objects.js';
import type { EventRecorder, Subject } from '../runtime/ports/event-recorder.js';
import { truncateMessage } from '../ipam/user-text.js';
import type { Logger } from '../runtime/ports/logger.js';

/** events.k8s.io/v1 refuses a note over 1 KB; core/v1 Events are kept to the same. */
const MAX_EVENT_MESSAGE = 1024;

export class KubeEventRecorder implements EventRecorder {
  private readonly pending: object[] = [];
  private running = 0;
  dropped = 0;

  constructor(
    private readonly http: KubeHttp,
    private readonly component: string,
    private readonly instance: string,
    private readonly log: Logger,
    private readonly maxPending = 10_000,
    private readonly concurrency = 2,
  ) {}

  /** While it returns true, queued Events wait (checked again every 100 ms). */
  busy: () => boolean = () => false;
  private deferred = false;

  record(svc: Service, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const { name, uid, resourceVersion } = svc.metadata;
    const namespace = svc.metadata.namespace ?? 'default';
    this.post({ kind: 'Service', namespace, name, uid, resourceVersion }, type, reason, message);
  }

  recordOn(subject: Subject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.post(subject, type, reason, message);
  }

  private post(subject: Subject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = new Date().toISOString();
    const ns = subject.namespace ?? 'default';
    this.pending.push({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${subject.name}.`, namespace: ns },
      involvedObject: { apiVersion: 'v1', ...subject },
      type,
      reason,
      message: truncateMessage(message, MAX_EVENT_MESSAGE),
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance,
    });
    if (this.pending.length > this.maxPending) {
      this.pending.shift();
      this.dropped++;
    }
    this.pump();
  }

  /** Resolves when every queued Event has been posted (for tests and shutdown). */
  async flush(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.pending.length || this.running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  private pump(): void {
    if (this.pending.length && this.busy()) {
      if (!this.deferred) {
        this.deferred = true;
        setTimeout(() => {
          this.deferred = false;
          this.pump();
        }, 100).unref();
      }
      return;
    }
    while (this.running < this.concurrency && this.pending.length) {
      const ev = this.pending.shift() as { metadata: { namespace: string } };
      this.running++;
      this.http
        .post(`/api/v1/namespaces/${ev.metadata.namespace}/events`, ev)
        .catch((err: unknown) => this.log.warn('event not recorded', { error: err }))
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }
}
