import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decide, watchesHolder, type ElectionTimings, type ElectionView } from '../../../src/l2/election/decide.js';
import { rankCandidates } from '../../../src/l2/election/candidates.js';
import type { Judgement } from '../../../src/l2/election/wire-liveness.js';
import {
  isLegacyServiceLeaseName,
  leaseNamesService,
  legacyServiceLeaseName,
  serviceLeaseName,
} from '../../../src/l2/election/lease-names.js';

const t: ElectionTimings = { staggerMs: 100 };
const now = 100_000;
type J = Judgement['kind'];
const judged =
  (states: Record<string, J>) =>
  (node: string): Judgement => {
    const k = states[node] ?? 'alive';
    if (k === 'dead') return { kind: 'dead', since: now - 1_000, by: 'wire' };
    if (k === 'probing') return { kind: 'probing', until: now + 50 };
    return { kind: k };
  };
const view = (over: Partial<ElectionView> & { states?: Record<string, J> }): ElectionView => ({
  now,
  me: 'n1',
  candidates: ['n1', 'n2', 'n3'],
  holder: undefined,
  leaseObservedAt: now,
  judge: judged(over.states ?? {}),
  ...over,
});

describe('decide', () => {
  const table: Array<[string, Partial<ElectionView> & { states?: Record<string, J> }, string]> = [
    ['the best live candidate acquires a free Service at once', {}, 'acquire'],
    ['the second candidate waits its turn', { me: 'n2' }, 'wait'],
    ['the second candidate acquires when its turn has come', { me: 'n2', leaseObservedAt: now - 150 }, 'acquire'],
    ['the second candidate goes first when the best one is dead', { me: 'n2', states: { n1: 'dead' } }, 'acquire'],
    ['a holder keeps announcing while eligible', { holder: 'n1' }, 'announce'],
    [
      'a holder keeps announcing whatever it thinks of the others (apiserver outage)',
      { holder: 'n1', states: { n2: 'dead', n3: 'dead' } },
      'announce',
    ],
    ['a holder no longer eligible (unable to answer) releases', { holder: 'n1', candidates: ['n2', 'n3'] }, 'release'],
    ['others wait while the holder is alive', { holder: 'n2' }, 'wait'],
    ['a holder silent on the wire is probed first', { holder: 'n2', states: { n2: 'probe' } }, 'probe'],
    ['while the probe is out, nobody acquires', { holder: 'n2', states: { n2: 'probing' } }, 'wait'],
    ['a dead holder is taken over', { holder: 'n2', states: { n2: 'dead' } }, 'acquire'],
    [
      'a dead holder is taken over by the next live candidate only after its turn',
      { me: 'n3', holder: 'n2', states: { n2: 'dead' }, candidates: ['n1', 'n2', 'n3'] },
      'acquire',
    ],
    ['a node not selected never acquires', { candidates: ['n2', 'n3'] }, 'wait'],
    ['a holder outside the candidates is taken over', { holder: 'old' }, 'acquire'],
  ];
  for (const [name, over, kind] of table) it(name, () => assert.equal(decide(view(over), t).kind, kind));

  it('nobody but the holder ever decides to announce (property)', () => {
    const state = fc.constantFrom<J>('alive', 'dead', 'probe', 'probing');
    fc.assert(
      fc.property(fc.constantFrom('n1', 'n2', 'n3', undefined), state, state, state, (holder, s1, s2, s3) => {
        const states = { n1: s1, n2: s2, n3: s3 };
        for (const me of ['n1', 'n2', 'n3']) {
          const d = decide(view({ me, holder, states }), t);
          if (d.kind === 'announce') assert.equal(me, holder);
          if (d.kind === 'acquire' && holder && holder !== me)
            assert.equal(
              states[holder as 'n1'],
              'dead',
              `${me} takes over from a holder it judged ${states[holder as 'n1']}`,
            );
        }
      }),
    );
  });
});

describe('watchesHolder: the first 3 live candidates after the holder hear it at every frame', () => {
  const watches = (v: ElectionView) => watchesHolder(v, (n) => v.judge(n).kind === 'alive');
  const candidates = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
  const watchers = (over: Partial<ElectionView> & { states?: Record<string, J> }) =>
    candidates.filter((me) => over.states?.[me] !== 'dead' && watches(view({ candidates, ...over, me })));
  it('the three after the holder, skipping it', () => {
    assert.deepEqual(watchers({ holder: 'n2' }), ['n1', 'n3', 'n4']);
  });
  it('a dead candidate ahead makes room for the next', () => {
    assert.deepEqual(watchers({ holder: 'n1', states: { n3: 'dead' } }), ['n2', 'n4', 'n5']);
  });
  it('nobody watches a free Service, and a holder does not watch itself', () => {
    assert.deepEqual(watchers({}), []);
    assert.equal(watches(view({ candidates, holder: 'n1', me: 'n1' })), false);
  });
  it('a node that is no candidate watches nothing', () => {
    assert.equal(watches(view({ candidates, holder: 'n1', me: 'n9' })), false);
  });
  it('over 3,000 Services on 1,000 nodes each node watches about 9 holders (3 per Service), never 1,000', () => {
    const nodes = Array.from({ length: 1_000 }, (_, i) => `node-${i}`);
    const watchedBy = new Map<string, Set<string>>();
    for (let s = 0; s < 3_000; s++) {
      const ranked = rankCandidates(`ns/svc-${s}`, nodes);
      const holder = ranked[0] ?? '';
      for (const me of ranked.slice(1, 5)) {
        if (!watches(view({ candidates: ranked, holder, me }))) continue;
        watchedBy.set(me, (watchedBy.get(me) ?? new Set()).add(holder));
      }
    }
    const sizes = [...watchedBy.values()].map((x) => x.size);
    assert.equal(sizes.reduce((a, b) => a + b, 0) <= 9_000, true, 'at most 3 per Service');
    assert.ok(Math.max(...sizes) <= 30, `the most any node watches: ${Math.max(...sizes)}`);
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

  it('Lease names follow docs/contract.md', () => {
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
