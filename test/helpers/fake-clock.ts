// A Clock whose time moves only when a test says so. `advance` fires due timers in time order and
// lets promises settle between them, so async loops driven by it run as they would in real time.
import { setImmediate as tick } from 'node:timers/promises';
import type { Clock } from '../../src/runtime/clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 10, 23, 10, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  schedule(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Lets pending promise chains run (several macrotask turns). */
  async settle(turns = 10): Promise<void> {
    for (let i = 0; i < turns; i++) await tick();
  }

  /**
   * Moves time without running any timer: a process that was paused (SIGSTOP, a VM freeze) finds
   * the clock moved on before its timers have had a chance to run.
   */
  jump(ms: number): void {
    this.t += ms;
  }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await this.settle();
    for (let guard = 0; guard < 100_000; guard++) {
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
      await this.settle();
    }
    this.t = end;
    await this.settle();
  }
}
