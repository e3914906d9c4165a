// Malformed manifests that the webhook and `lanlb validate` must refuse, each with a reason a
// user can act on (they share validateObject).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { overlapWarnings, validateText } from '../../../src/cli/validate-command.js';
import { admissionResponse } from '../../../src/webhook/reviews.js';

const pool = (spec: string, v = 'v1beta1') =>
  `apiVersion: lanlb.io/${v}\nkind: LoadBalancerIPPool\nmetadata: {name: p}\nspec:\n${spec}`;
const policy = (spec: string, v = 'v1beta1') =>
  `apiVersion: lanlb.io/${v}\nkind: L2AnnouncementPolicy\nmetadata: {name: l}\nspec:\n${spec}`;

describe('lanlb validate', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['no blocks', pool('  disabled: false'), /spec: must have required property 'blocks'/],
    ['empty blocks', pool('  blocks: []'), /spec.blocks: must NOT have fewer than 1 items/],
    ['a /33', pool('  blocks: [{cidr: 192.0.2.0/33}]'), /spec.blocks\[0\].cidr: must be a valid cidr/],
    [
      'a start that is not an address',
      pool('  blocks: [{start: x, stop: 192.0.2.1}]'),
      /spec.blocks\[0\].start: must be an IPv4 or IPv6 address/,
    ],
    ['start without stop', pool('  blocks: [{start: 192.0.2.1}]'), /a block needs either cidr, or both start and stop/],
    ['mixed families', pool('  blocks: [{start: 192.0.2.1, stop: "2001:db8::1"}]'), /different IP families/],
    ['start after stop', pool('  blocks: [{start: 192.0.2.9, stop: 192.0.2.1}]'), /start is after stop/],
    [
      'overlap inside a pool',
      pool('  blocks: [{cidr: 192.0.2.0/28}, {cidr: 192.0.2.8/29}]'),
      /overlap at 192\.0\.2\.8/,
    ],
    [
      'a bad selector operator',
      pool('  blocks: [{cidr: 192.0.2.0/28}]\n  serviceSelector: {matchExpressions: [{key: a, operator: Near}]}'),
      /must be one of In, NotIn, Exists, DoesNotExist/,
    ],
    [
      'In without values',
      pool('  blocks: [{cidr: 192.0.2.0/28}]\n  serviceSelector: {matchExpressions: [{key: a, operator: In}]}'),
      /values must not be empty/,
    ],
    [
      'a bad label key',
      pool('  blocks: [{cidr: 192.0.2.0/28}]\n  serviceSelector: {matchLabels: {"-bad": x}}'),
      /not a valid label name/,
    ],
    [
      'disabled as a string',
      pool('  blocks: [{cidr: 192.0.2.0/28}]\n  disabled: "no"'),
      /spec.disabled: must be boolean/,
    ],
    ['an unknown field', pool('  blocks: [{cidr: 192.0.2.0/28}]\n  colour: red'), /unknown field colour/],
    ['a regex that does not compile', policy('  interfaces: ["eth[0-9"]'), /not a valid regular expression/],
    ['interfaces as a string', policy('  interfaces: eth0'), /spec.interfaces: must be array/],
    [
      'an announceInterval that is no duration',
      policy('  announceInterval: soon'),
      /spec.announceInterval: must match/,
    ],
    [
      'an announceInterval under 1s',
      policy('  announceInterval: 10ms'),
      /spec.announceInterval: "10ms" is not a duration between 1s and 1h/,
    ],
    [
      'a poolSelector with In and no values',
      policy('  poolSelector: {matchExpressions: [{key: vlan, operator: In}]}'),
      /spec.poolSelector: .*values must not be empty/,
    ],
    [
      'autoAssign as a string',
      pool('  blocks: [{cidr: 192.0.2.0/28}]\n  autoAssign: "no"'),
      /spec.autoAssign: must be boolean/,
    ],
    ['a v1alpha1 pool without cidrs', pool('  disabled: false', 'v1alpha1'), /required property 'cidrs'/],
    [
      'a v1alpha1 bad expression',
      policy('  interface: "("', 'v1alpha1'),
      /spec.interface: .*not a valid regular expression/,
    ],
    ['an unknown version', pool('  blocks: [{cidr: 192.0.2.0/28}]', 'v9'), /not a kind or version lanlb serves/],
    [
      'no name',
      'apiVersion: lanlb.io/v1beta1\nkind: LoadBalancerIPPool\nspec: {blocks: [{cidr: 192.0.2.0/28}]}',
      /metadata.name: is required/,
    ],
  ];
  for (const [name, yaml, re] of bad) {
    it(`refuses ${name}`, () => {
      const r = validateText(yaml, 'f.yaml');
      assert.ok(r.lines.length > 0, 'a problem is reported');
      assert.match(r.lines.join('\n'), re);
      assert.match(
        r.lines[0] ?? '',
        /^f\.yaml: (LoadBalancerIPPool|L2AnnouncementPolicy)\/\S+: \S+: /,
        'file: object: field: message',
      );
    });
  }

  it('accepts good manifests of both versions and skips other kinds', () => {
    const text = [
      pool('  blocks: [{cidr: 192.0.2.0/28}, {start: "2001:db8::1", stop: "2001:db8::9"}]'),
      policy('  interfaces: ["^eth0$"]\n  poolSelector: {matchLabels: {vlan: "10"}}'),
      pool('  blocks: [{cidr: 198.51.100.0/28}]\n  autoAssign: false'),
      pool('  cidrs: [{cidr: 192.0.2.0/28}]', 'v1alpha1'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}',
    ].join('\n---\n');
    const r = validateText(text, 'f');
    assert.deepEqual({ lines: r.lines, checked: r.checked }, { lines: [], checked: 4 });
  });

  it('reports a YAML syntax error instead of crashing', () => {
    assert.match(validateText('kind: [unclosed', 'f').lines[0] ?? '', /^f: YAML: /);
  });
});

describe('overlaps between pools are warnings (validate and the admission webhook)', () => {
  const poolYaml = (name: string, cidr: string) =>
    `apiVersion: lanlb.io/v1beta1\nkind: LoadBalancerIPPool\nmetadata: {name: ${name}}\n` +
    `spec: {blocks: [{cidr: ${cidr}}]}\n`;

  it('validate reports overlaps across files, once per pair, without failing', () => {
    const a = validateText(poolYaml('a', '192.0.2.0/28'), 'a.yaml');
    const b = validateText(`${poolYaml('b', '192.0.2.8/29')}---\n${poolYaml('c', '198.51.100.0/28')}`, 'b.yaml');
    assert.deepEqual([...a.lines, ...b.lines], []);
    assert.deepEqual(overlapWarnings([...a.pools, ...b.pools]), [
      'a.yaml: LoadBalancerIPPool/a: spec.blocks: warning: overlaps pool b (b.yaml) at 192.0.2.8-192.0.2.15',
    ]);
  });

  it('the webhook admits an overlapping pool with a warning naming the overlap', () => {
    const existing = [{ metadata: { name: 'old' }, spec: { blocks: [{ cidr: '192.0.2.0/28' }] } }];
    const object = {
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'LoadBalancerIPPool',
      metadata: { name: 'new' },
      spec: { blocks: [{ cidr: '192.0.2.4/30' }] },
    };
    const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', object } };
    const r = admissionResponse(review, () => existing) as { response: { allowed: boolean; warnings?: string[] } };
    assert.equal(r.response.allowed, true);
    assert.match(
      r.response.warnings?.[0] ?? '',
      /LoadBalancerIPPool new overlaps pool old at 192\.0\.2\.4-192\.0\.2\.7/,
    );
    const alone = admissionResponse(review, () => []) as { response: { warnings?: string[] } };
    assert.equal(alone.response.warnings, undefined);
  });

  it('the webhook refuses a /0 pool with the reason', () => {
    const object = {
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'LoadBalancerIPPool',
      metadata: { name: 'all' },
      spec: { blocks: [{ cidr: '0.0.0.0/0' }] },
    };
    const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', object } };
    const r = admissionResponse(review) as { response: { allowed: boolean; status?: { message: string } } };
    assert.equal(r.response.allowed, false);
    assert.match(r.response.status?.message ?? '', /covers the whole address family/);
  });
});
