// The Argo CD health checks in config/argocd, run by a real Lua 5.1 interpreter (Argo CD's
// gopher-lua implements 5.1) on lanlb objects as the controller writes them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const cm = parse(readFileSync('config/argocd/argocd-cm-health.yaml', 'utf8')) as { data: Record<string, string> };

function health(kind: 'LoadBalancerIPPool' | 'L2AnnouncementPolicy', obj: object): string {
  const script = cm.data[`resource.customizations.health.lanlb.io_${kind}`];
  assert.ok(script, kind);
  const program = `local cjson = require("cjson")
local obj = cjson.decode(io.read("*a"))
local function check(obj)
${script}
end
local hs = check(obj)
io.write(hs.status .. "|" .. (hs.message or ""))`;
  return execFileSync('lua5.1', ['-e', program], { input: JSON.stringify(obj), encoding: 'utf8' });
}

const cond = (type: string, status: string, reason: string, message = 'm') => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2026-11-23T10:00:00Z',
});
const pool = (status?: object, generation = 1) => ({
  metadata: { name: 'p', generation },
  spec: { blocks: [] },
  ...(status ? { status } : {}),
});

describe('Argo CD health checks (Lua 5.1)', () => {
  const table: Array<[string, 'LoadBalancerIPPool' | 'L2AnnouncementPolicy', object, RegExp]> = [
    ['a new pool is Progressing', 'LoadBalancerIPPool', pool(), /^Progressing\|/],
    [
      'a pool whose status is for an older generation is Progressing',
      'LoadBalancerIPPool',
      pool({ observedGeneration: 1, conditions: [cond('Ready', 'True', 'Ready')] }, 2),
      /^Progressing\|/,
    ],
    [
      'a ready pool is Healthy',
      'LoadBalancerIPPool',
      pool({
        observedGeneration: 1,
        conditions: [
          cond('Ready', 'True', 'Ready', '13 of 14 addresses available'),
          cond('Conflicting', 'False', 'NoOverlap'),
        ],
      }),
      /^Healthy\|13 of 14/,
    ],
    [
      'a conflicting pool is Degraded with the overlap',
      'LoadBalancerIPPool',
      pool({
        observedGeneration: 1,
        conditions: [
          cond('Ready', 'False', 'Conflicting'),
          cond('Conflicting', 'True', 'Overlap', 'overlaps older pool a at 192.0.2.8'),
        ],
      }),
      /^Degraded\|overlaps older pool a/,
    ],
    [
      'a disabled pool is Healthy',
      'LoadBalancerIPPool',
      pool({
        observedGeneration: 1,
        conditions: [cond('Ready', 'False', 'Disabled'), cond('Conflicting', 'False', 'NoOverlap')],
      }),
      /^Healthy\|/,
    ],
    [
      'an invalid pool is Degraded with its reason',
      'LoadBalancerIPPool',
      pool({ observedGeneration: 1, conditions: [cond('Ready', 'False', 'InvalidBlocks', 'blocks overlap')] }),
      /^Degraded\|InvalidBlocks: blocks overlap/,
    ],
    [
      'a valid policy is Healthy',
      'L2AnnouncementPolicy',
      { metadata: { name: 'l' }, status: { conditions: [cond('Ready', 'True', 'Valid')] } },
      /^Healthy\|/,
    ],
    [
      'an invalid policy is Degraded',
      'L2AnnouncementPolicy',
      { metadata: { name: 'l' }, status: { conditions: [cond('Ready', 'False', 'InvalidInterface', 'bad')] } },
      /^Degraded\|InvalidInterface: bad/,
    ],
    ['a new policy is Progressing', 'L2AnnouncementPolicy', { metadata: { name: 'l' } }, /^Progressing\|/],
  ];
  for (const [name, kind, obj, re] of table) it(name, () => assert.match(health(kind, obj), re));
});
