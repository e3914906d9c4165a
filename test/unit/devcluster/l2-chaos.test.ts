// The L2 chaos run's pure parts (issue 29): a seeded plan is the same for the same seed and keeps
// its limits; the invariants find each kind of violation on made-up recordings, and pass one
// where faults are handled within their bounds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planFaults, endOf, KIND_SPECS, FAULT_KINDS } from '../../../src/devcluster/l2-chaos/plan.js';
import { processViolations } from '../../../src/devcluster/l2-chaos/run.js';
import {
  checkRecording,
  rowsByKind,
  type FaultWindow,
  type ProbeRound,
  type Recording,
} from '../../../src/devcluster/l2-chaos/invariants.js';

const VIP = '192.0.2.40';
const SVC = 'chaos-a/s1';
const MAC = { node1: '02:00:00:00:00:11', node2: '02:00:00:00:00:12' };

/** Probe rounds every 50 ms over [from, to): who answers at t decides the MACs. */
function rounds(from: number, to: number, who: (t: number) => string[]): ProbeRound[] {
  const out: ProbeRound[] = [];
  for (let t = from; t < to; t += 50) {
    const macs = who(t);
    out.push({ t, answers: macs.length ? { [VIP]: macs } : {} });
  }
  return out;
}

/** node1 holds until `handover`, node2 after; the recording ends at 20 s. */
function recording(who: (t: number) => string[], faults: FaultWindow[], handover = 5_000): Recording {
  return {
    rounds: rounds(0, 20_000, who),
    faults,
    addresses: [{ vip: VIP, service: SVC, from: 0 }],
    holders: [
      { t: 0, service: SVC, holder: 'node1' },
      { t: handover + 100, service: SVC, holder: 'node2' },
    ],
    leaseWrites: [
      { t: 0, service: SVC },
      { t: handover + 100, service: SVC },
    ],
    macToNode: { [MAC.node1]: 'node1', [MAC.node2]: 'node2' },
    nodes: 2,
    end: 20_000,
  };
}

const kill: FaultWindow = { id: 1, kind: 'kill', node: 'node1', start: 4_600, end: 7_000 };

describe('L2 chaos: the plan', () => {
  it('is the same for the same seed, and different for another', () => {
    const o = { runMs: 600_000, meanGapMs: 9_000 };
    assert.deepEqual(planFaults({ seed: 7, ...o }), planFaults({ seed: 7, ...o }));
    assert.notDeepEqual(planFaults({ seed: 7, ...o }), planFaults({ seed: 8, ...o }));
  });

  it('draws every kind in a long run, keeps at most 2 node faults and 1 freeze at once', () => {
    const plan = planFaults({ seed: 20261206, runMs: 1_800_000, meanGapMs: 8_000 });
    assert.ok(plan.length >= 200, `${plan.length} faults in 30 min`);
    assert.deepEqual(new Set(plan.map((f) => f.kind)), new Set(FAULT_KINDS));
    for (const f of plan) {
      const at = (g: typeof f) => g.atMs <= f.atMs && f.atMs < endOf(g);
      const onNodes = plan.filter((g) => KIND_SPECS[g.kind].target !== 'cluster' && at(g));
      if (KIND_SPECS[f.kind].target !== 'cluster') assert.ok(onNodes.length <= 2, `fault ${f.id}`);
      const freezes = plan.filter(
        (g) => g.kind === 'apiserver-freeze' && g.atMs <= f.atMs && f.atMs < g.atMs + g.durationMs,
      );
      assert.ok(freezes.length <= 1, `one freeze at a time at fault ${f.id}`);
      assert.ok(f.atMs + f.durationMs <= 1_800_000 - 15_000, 'none runs into the quiet end');
    }
  });
});

describe('L2 chaos: the invariants', () => {
  it('a takeover within the crash bound passes, and its dark time is counted for the kill', () => {
    const who = (t: number) => (t < 4_600 ? [MAC.node1] : t < 5_250 ? [] : [MAC.node2]);
    const r = checkRecording(recording(who, [kill]));
    assert.deepEqual(r.violations, []);
    assert.equal(r.dark.get(1), 650);
    const [row] = rowsByKind([kill], r.dark, r.twoMacs);
    assert.deepEqual(row, { kind: 'kill', count: 1, worstDarkMs: 650, p99DarkMs: 650, twoMacMs: 0 });
  });

  it('a takeover slower than the bound is a dark violation', () => {
    const who = (t: number) => (t < 4_600 ? [MAC.node1] : t < 7_000 ? [] : [MAC.node2]);
    const r = checkRecording(recording(who, [kill], 6_900));
    assert.deepEqual(
      r.violations.map((v) => v.invariant),
      ['dark'],
    );
  });

  it('darkness without a fault, or under a frozen apiserver alone, is a violation', () => {
    const who = (t: number) => (t >= 10_000 && t < 11_000 ? [] : t < 5_000 ? [MAC.node1] : [MAC.node2]);
    const freeze: FaultWindow = { id: 2, kind: 'apiserver-freeze', start: 9_000, end: 15_000 };
    assert.deepEqual(
      checkRecording(recording(who, [])).violations.map((v) => v.invariant),
      ['dark'],
    );
    assert.deepEqual(
      checkRecording(recording(who, [freeze])).violations.map((v) => v.invariant),
      ['dark'],
    );
  });

  it('planted: a holder that keeps answering after its Lease is taken (two MACs, not the holder)', () => {
    const who = (t: number) => (t < 5_000 ? [MAC.node1] : [MAC.node1, MAC.node2]);
    const kinds = new Set(checkRecording(recording(who, [])).violations.map((v) => v.invariant));
    assert.deepEqual(kinds, new Set(['two-macs', 'not-holder']));
  });

  it('two MACs around a partition are allowed until it has healed', () => {
    const cut: FaultWindow = { id: 3, kind: 'partition', node: 'node1', start: 4_800, end: 8_000 };
    const who = (t: number) => (t < 5_000 ? [MAC.node1] : t < 8_500 ? [MAC.node1, MAC.node2] : [MAC.node2]);
    const r = checkRecording({ ...recording(who, [cut]), holders: [{ t: 0, service: SVC, holder: 'node1' }] });
    assert.deepEqual(
      r.violations.filter((v) => v.invariant === 'two-macs'),
      [],
    );
    assert.equal(r.twoMacs.get(3), 3_500);
  });

  it('a holder resumed after SIGSTOP answering even one round from its old table is a violation', () => {
    // Its capture's pause guard holds every answer from SIGCONT until it has planned anew.
    const stop: FaultWindow = { id: 5, kind: 'stop-long', node: 'node1', start: 4_000, end: 7_000 };
    const stale = (until: number) => (t: number) =>
      t < 4_000 ? [MAC.node1] : t < 4_600 ? [] : t >= 7_000 && t < until ? [MAC.node2, MAC.node1] : [MAC.node2];
    assert.deepEqual(checkRecording(recording(stale(7_000), [stop], 4_500)).violations, []);
    const kinds = new Set(checkRecording(recording(stale(7_050), [stop], 4_500)).violations.map((v) => v.invariant));
    assert.deepEqual(kinds, new Set(['two-macs', 'not-holder']));
  });

  it('a fault made through a frozen apiserver is bounded from when its write was accepted', () => {
    // The endpoint move was asked at 1 s, the apiserver accepted it at its thaw, 9 s; hand-over 0.6 s.
    const move: FaultWindow = {
      id: 6,
      kind: 'endpoints-move',
      start: 1_000,
      end: 9_000,
      appliedAt: 9_000,
      service: SVC,
    };
    const who = (t: number) => (t < 9_000 ? [MAC.node1] : t < 9_600 ? [] : [MAC.node2]);
    assert.deepEqual(checkRecording(recording(who, [move], 9_000)).violations, []);
    const asked = { ...move, appliedAt: undefined };
    const kinds = checkRecording(recording(who, [asked], 9_000)).violations.map((v) => v.invariant);
    assert.deepEqual(kinds, ['dark'], 'from the asking, the same hand-over is out of bounds');
  });

  it('an address answered after its Service let it go, and a Lease storm, are violations', () => {
    const who = (t: number) => (t < 5_000 ? [MAC.node1] : [MAC.node2]);
    const rec = recording(who, []);
    rec.addresses = [{ vip: VIP, service: SVC, from: 0, to: 10_000 }];
    rec.leaseWrites = Array.from({ length: 12 }, (_, i) => ({ t: 1_000 + i * 500, service: SVC }));
    const kinds = new Set(checkRecording(rec).violations.map((v) => v.invariant));
    assert.deepEqual(kinds, new Set(['released-answered', 'lease-writes']));
  });

  it('an address never answered after its assignment is a violation', () => {
    const r = checkRecording(recording(() => [], []));
    assert.deepEqual(
      r.violations.map((v) => v.invariant),
      ['not-announced'],
    );
  });

  it('a crash while heartbeats are filtered is allowed the audit bound, not the crash bound', () => {
    const drop: FaultWindow = { id: 4, kind: 'heartbeat-drop', node: 'node2', start: 3_000, end: 15_000 };
    const who = (t: number) => (t < 4_600 ? [MAC.node1] : t < 12_000 ? [] : [MAC.node2]);
    const r = checkRecording(recording(who, [drop, kill], 11_900));
    assert.deepEqual(r.violations, []);
  });
});

describe('L2 chaos: the processes at the end', () => {
  const p = (who: string, pid: number, fds: number, rssMiB = 100, alive = true) => ({ who, pid, fds, rssMiB, alive });
  it('a process gone, an fd leak, or memory over the limit are violations; a restart is not', () => {
    const before = [p('controller', 1, 30), p('node1', 2, 40), p('node2', 3, 38)];
    assert.deepEqual(processViolations(before, [p('controller', 9, 31), p('node1', 2, 45), p('node2', 8, 41)]), []);
    const bad = processViolations(before, [
      p('controller', 1, 30, 100, false),
      p('node1', 2, 90),
      p('node2', 3, 38, 500),
    ]);
    assert.deepEqual(
      bad.map((v) => v.detail),
      ['controller is not running at the end', 'node1: 90 open fds (40 at the start)', 'node2: 500 MiB resident'],
    );
  });
});
