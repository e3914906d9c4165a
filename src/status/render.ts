// `lanlb status` as text: two tables a person reads at a glance (pure; the JSON form is the
// report itself).
import type { PoolReport, ServiceReport, StatusReport } from './report.js';

/** Columns padded to their widest cell, two spaces apart, as kubectl prints tables. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function poolRow(p: PoolReport): string[] {
  const why = p.state === 'Ready' ? '' : `: ${p.conflict ?? p.message}`;
  return [p.name, p.total ?? '-', p.used ?? '-', p.available ?? '-', `${p.state}${why}`];
}

function serviceRow(s: ServiceReport, allNamespaces: boolean): string[] {
  const addresses = s.addresses.map((a) => `${a.ip} (${a.pool ?? 'no pool'})`).join(', ') || '-';
  const interfaces = s.holder?.interfaces.map((i) => `${i.name} ${i.mac ?? '?'}`).join(', ') || '-';
  const state = s.reason ? `${s.state}: ${s.reason}: ${s.message}` : s.state;
  const name = allNamespaces ? [s.namespace, s.name] : [s.name];
  return [...name, addresses, s.policies.join(',') || '-', s.holder?.node ?? '-', interfaces, state];
}

export function renderStatus(r: StatusReport): string {
  const all = r.namespace === null;
  const pools = r.pools.length
    ? table(['POOL', 'TOTAL', 'USED', 'AVAILABLE', 'STATE'], r.pools.map(poolRow))
    : 'No LoadBalancerIPPool: create one (lanlb validate checks it first).';
  const where = all ? 'in any namespace' : `in namespace ${r.namespace}`;
  const header = [...(all ? ['NAMESPACE'] : []), 'SERVICE', 'ADDRESSES (POOL)', 'POLICIES', 'HOLDER', 'INTERFACES'];
  const services = r.services.length
    ? table(
        [...header, 'STATE'],
        r.services.map((s) => serviceRow(s, all)),
      )
    : `No LoadBalancer Service for lanlb ${where}.`;
  const s = r.summary;
  const notes = [
    ...(r.leasesReadable ? [] : ['note: Service Leases could not be read, so holders are not shown']),
    `${s.pools} pool(s), ${s.conflictingPools} conflicting, ${s.invalidPools} invalid; ` +
      `${s.services} Service(s) ${where}, ${s.pendingServices} pending`,
  ];
  return [pools, '', services, '', ...notes].join('\n');
}
