// A leadership term's writes: status and Events go out only while this replica still leads
// (its signal not aborted, the elector's holdsLeadership() true at the moment of the write).
import type { Logger } from '../runtime/ports/logger.js';
import type { StatusTransport } from '../runtime/ports/status-transport.js';
import type { EventRecorder } from '../runtime/ports/event-recorder.js';
import type { ControllerMetrics } from './metrics.js';

/**
 * What one leadership term may write through. Both are fenced by the term's signal: once the
 * Lease is lost nothing more is written (a resumed stale leader, a status write retried after a
 * 409, an Event of a reconcile that was running when leadership ended).
 */
export interface Term {
  status: StatusTransport;
  events: EventRecorder;
}

export class NotLeadingError extends Error {
  override name = 'NotLeadingError';
}

export function fencedTerm(
  status: StatusTransport,
  events: EventRecorder,
  metrics: ControllerMetrics,
  log: Logger,
  signal: AbortSignal,
  stillLeading: () => boolean,
): Term {
  const ended = (): boolean => signal.aborted || !stillLeading();
  return {
    status: {
      get: (path, query) => status.get(path, query),
      patch: (path, body, contentType) => {
        if (ended()) {
          log.debug('status write refused: not leading', { path });
          metrics.statusWrites.inc({ outcome: 'refused-not-leading' });
          return Promise.reject(new NotLeadingError('not leading: the write is dropped'));
        }
        log.debug('status write', { path });
        metrics.statusWrites.inc({ outcome: 'sent' });
        return status.patch(path, body, contentType);
      },
    },
    events: {
      record: (svc, type, reason, message) => {
        if (!ended()) events.record(svc, type, reason, message);
      },
      recordOn: (subject, type, reason, message) => {
        if (!ended()) events.recordOn(subject, type, reason, message);
      },
    },
  };
}
