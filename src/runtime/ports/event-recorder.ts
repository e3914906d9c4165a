// The Events port: what the applications report to users (`kubectl describe`). Implemented by
// kube/event-recorder.ts (core/v1 Events, off the reconcile path); tests record them.
import type { Service } from '../../core/kube-objects.js';

export interface EventRecorder {
  record(svc: Service, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /**
   * An Event on any object, for `kubectl describe`; a cluster-scoped one's (a Node, a pool) is kept
   * in namespace default, as kubelet's are.
   */
  recordOn(subject: Subject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export interface Subject {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}
