// Random pools, Services and pool edits over a small address space, so pools overlap, fill up
// and compete: where a preview could go wrong.
import fc from 'fast-check';

export interface PoolSpec {
  name: string;
  blocks: Array<{ cidr: string }>;
  disabled: boolean;
  autoAssign: boolean;
  labels: Record<string, string>;
  selector: { serviceSelector?: { matchLabels: Record<string, string> } };
}

export interface ServiceSpec {
  name: string;
  namespace: string;
  port: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: Record<string, unknown>;
}

const POOL_NAMES = ['alpha', 'beta', 'gamma', 'delta'];

export const poolArb: fc.Arbitrary<PoolSpec> = fc.record({
  name: fc.constantFrom(...POOL_NAMES),
  blocks: fc
    .array(
      fc.oneof(
        fc
          .tuple(fc.constantFrom(0, 4, 8, 12), fc.constantFrom(29, 30, 31))
          .map(([o, p]) => ({ cidr: `192.0.2.${o}/${p}` })),
        fc.constantFrom(4, 8).map((o) => ({ cidr: `2001:db8::${o}/126` })),
      ),
      { minLength: 1, maxLength: 2 },
    )
    .map((bs) => [...new Map(bs.map((b) => [b.cidr, b])).values()]),
  disabled: fc.boolean(),
  autoAssign: fc.boolean(),
  labels: fc.constantFrom<Record<string, string>>({}, { vlan: '10' }),
  selector: fc.constantFrom<PoolSpec['selector']>({}, { serviceSelector: { matchLabels: { tier: 'edge' } } }),
});

export const serviceArb: fc.Arbitrary<ServiceSpec> = fc.record({
  name: fc.constantFrom('s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8'),
  namespace: fc.constant('shop'),
  port: fc.constantFrom(80, 443),
  labels: fc.constantFrom<Record<string, string>>({}, { tier: 'edge' }),
  annotations: fc.oneof(
    fc.constant<Record<string, string>>({}),
    fc.constantFrom(...POOL_NAMES).map((p) => ({ 'lanlb.io/pool': p })),
    fc.constantFrom('192.0.2.2', '192.0.2.9', '2001:db8::5').map((ip) => ({ 'lanlb.io/ips': ip })),
  ),
  spec: fc.constantFrom<Record<string, unknown>>(
    {},
    { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] },
    { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] },
  ),
});

export const editArb = fc.record({
  apply: fc.array(poolArb, { maxLength: 3 }),
  remove: fc.array(fc.constantFrom(...POOL_NAMES), { maxLength: 2 }),
});
