// Malformed manifests that the webhook and `lanlb validate` must refuse, each with a reason a
// user can act on (they share validateObject).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateText } from '../../../src/cli/validate-command.js';

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
      policy('  interfaces: ["^eth0$"]'),
      pool('  cidrs: [{cidr: 192.0.2.0/28}]', 'v1alpha1'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}',
    ].join('\n---\n');
    assert.deepEqual(validateText(text, 'f'), { lines: [], checked: 3 });
  });

  it('reports a YAML syntax error instead of crashing', () => {
    assert.match(validateText('kind: [unclosed', 'f').lines[0] ?? '', /^f: YAML: /);
  });
});
