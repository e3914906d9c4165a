import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decide, type ElectionTimings, type ElectionView } from '../../../src/l2/election/decide.js';
import { rankCandidates } from '../../../src/l2/election/candidates.js';
import {
  isLegacyServiceLeaseName,
  leaseNamesService,
  legacyServiceLeaseName,
  serviceLeaseName,
} from '../../../src/l2/election/lease-names.js';

const t: ElectionTimings = { heartbeatDurationMs: 2_000, renewDeadlineMs: 1_500, staggerMs: 200 };
const now = 100_000;
const view = (over: Partial<ElectionView>): ElectionView => ({
  now,
  me: 'n1',
  candidates: ['n1', 'n2', 'n3'],
  holder: undefined,
  leaseObservedAt: now,
  heartbeats: new Map([
    ['n2', now - 100],
    ['n3', now - 100],
  ]),
  myLastRenew: now - 100,
  ...over,
});

describe('decide', () => {
  const table: Array<[string, Partial<ElectionView>, string]> = [
    ['the best live candidate acquires a free Service at once', {}, 'acquire'],
    [
      'the second candidate waits its turn',
      {
        me: 'n2',
        heartbeats: new Map([
          ['n1', now],
          ['n3', now],
        ]),
      },
      'wait',
    ],
    [
      'the second candidate acquires when its turn has come',
      {
        me: 'n2',
        leaseObservedAt: now - 250,
        heartbeats: new Map([
          ['n1', now],
          ['n3', now],
        ]),
      },
      'acquire',
    ],
    [
      'the second candidate goes first when the best one is silent',
      {
        me: 'n2',
        heartbeats: new Map([
          ['n1', now - 5_000],
          ['n3', now],
        ]),
      },
      'acquire',
    ],
    ['a holder keeps announcing while it renews', { holder: 'n1' }, 'announce'],
    ['a holder that cannot renew stops answering', { holder: 'n1', myLastRenew: now - 1_500 }, 'stop'],
    ['a holder no longer eligible releases', { holder: 'n1', candidates: ['n2', 'n3'] }, 'release'],
    ["others wait while the holder's heartbeat is fresh", { holder: 'n2' }, 'wait'],
    [
      'a silent holder is taken over after heartbeatDuration',
      {
        holder: 'n2',
        heartbeats: new Map([
          ['n2', now - 2_000],
          ['n3', now],
        ]),
      },
      'acquire',
    ],
    ['a node not selected never acquires', { candidates: ['n2', 'n3'] }, 'wait'],
    ['a node that cannot renew its heartbeat never acquires', { myLastRenew: now - 1_600 }, 'wait'],
    [
      'a holder outside the candidates is taken over',
      {
        holder: 'old',
        heartbeats: new Map([
          ['old', now],
          ['n2', now],
        ]),
      },
      'acquire',
    ],
  ];
  for (const [name, over, kind] of table) it(name, () => assert.equal(decide(view(over), t).kind, kind));

  it('a holder stops answering strictly before any other node may take over (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000 }), (silentFor) => {
        // The holder's last successful renewal and the others' last sighting of it are the same moment.
        const holderView = view({ holder: 'n1', myLastRenew: now - silentFor });
        const otherView = view({
          me: 'n2',
          holder: 'n1',
          heartbeats: new Map([
            ['n1', now - silentFor],
            ['n3', now],
          ]),
        });
        const holderAnswers = decide(holderView, t).kind === 'announce';
        const otherAcquires = decide(otherView, t).kind === 'acquire';
        assert.ok(!(holderAnswers && otherAcquires), `both at ${silentFor} ms`);
      }),
    );
  });
});

describe('rankCandidates', () => {
  // Pinned: every announcer version must rank alike, or two versions side by side during a
  // rolling upgrade would disagree on who should hold a Service.
  const NODES = ['node1', 'node2', 'node3', 'node4', 'node5'];
  const pinned: Array<[string, string[]]> = [
    ['default/web', ['node2', 'node4', 'node5', 'node3', 'node1']],
    ['ingress-nginx/ingress-nginx-controller', ['node3', 'node2', 'node1', 'node5', 'node4']],
    ['a-b/c', ['node1', 'node4', 'node3', 'node2', 'node5']],
    ['a/b-c', ['node5', 'node4', 'node1', 'node3', 'node2']],
    ['kube-system/dns', ['node1', 'node2', 'node3', 'node4', 'node5']],
    ['x/y', ['node2', 'node5', 'node3', 'node1', 'node4']],
  ];
  for (const [key, want] of pinned) {
    it(`ranks ${key} as pinned`, () => assert.deepEqual(rankCandidates(key, NODES), want));
  }

  it('is stable and independent of input order', () => {
    assert.deepEqual(rankCandidates('ns/a', ['n1', 'n2', 'n3']), rankCandidates('ns/a', ['n3', 'n1', 'n2']));
  });

  it('spreads 3,000 Services over 3 nodes within 10% of even', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 3_000; i++) {
      const first = rankCandidates(`ns/svc-${i}`, ['node1', 'node2', 'node3'])[0] as string;
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    for (const n of ['node1', 'node2', 'node3'])
      assert.ok(Math.abs((counts.get(n) ?? 0) - 1_000) < 100, `${n}: ${counts.get(n)}`);
  });

  it('a node leaving moves only its own Services', () => {
    for (let i = 0; i < 500; i++) {
      const key = `ns/s${i}`;
      const before = rankCandidates(key, ['a', 'b', 'c'])[0];
      const after = rankCandidates(key, ['a', 'b'])[0];
      if (before !== 'c') assert.equal(after, before);
    }
  });

  it('Lease names follow API.md', () => {
    assert.equal(
      serviceLeaseName('ingress-nginx', 'ingress-nginx-controller'),
      'lanlb-l2-ingress-nginx.ingress-nginx-controller',
    );
  });

  it('a-b/c and a/b-c never share a Lease (they did under the old name)', () => {
    assert.notEqual(serviceLeaseName('a-b', 'c'), serviceLeaseName('a', 'b-c'));
    assert.equal(legacyServiceLeaseName('a-b', 'c'), legacyServiceLeaseName('a', 'b-c'));
  });

  it('tells Leases of the old name from new ones', () => {
    assert.equal(isLegacyServiceLeaseName('lanlb-l2-a-b-c'), true);
    assert.equal(isLegacyServiceLeaseName('lanlb-l2-a.b-c'), false);
    assert.equal(isLegacyServiceLeaseName('lanlb-node-node1'), false);
  });

  it('a Lease counts for a Service only when its annotation names that Service', () => {
    const lease = (service?: string) => ({
      metadata: { annotations: service ? { 'lanlb.io/service': service } : undefined },
    });
    assert.equal(leaseNamesService(lease('a/b-c'), 'a/b-c'), true);
    assert.equal(leaseNamesService(lease('a-b/c'), 'a/b-c'), false);
    assert.equal(leaseNamesService(lease(), 'a/b-c'), false);
  });
});
