// `lanlb plan` as text: what changes first, then the tables (pure; the JSON form is the report).
import { table } from '../status/render.js';
import type { PlanReport, PolicyPreview, ServicePreview } from './preview.js';
import type { PoolPreview, PoolSide } from './pool-preview.js';

function serviceRows(s: ServicePreview): string[][] {
  const name = `${s.namespace}/${s.name}`;
  const rows = s.addresses.map((a) => {
    const what = a.change === 'keeps' ? (a.before ?? '') : `${a.before ?? '-'} -> ${a.after ?? '-'}`;
    return [name, a.change, a.family, what, a.pool ?? '-', a.reason ?? ''];
  });
  if (s.pending) rows.push([name, 'pending', '-', '-', '-', s.pending]);
  return rows;
}

function side(p: PoolSide | null): string {
  return p ? `${p.state} ${p.used ?? '?'}/${p.total ?? '?'} used, ${p.available ?? '?'} available` : '-';
}

function poolRow(p: PoolPreview): string[] {
  const why = p.conflictsWith
    ? `conflicts with ${p.conflictsWith}`
    : p.after && p.after.state !== 'Ready'
      ? p.after.message
      : '';
  return [p.name, p.change, side(p.before), side(p.after), why];
}

function policyRow(p: PolicyPreview): string[] {
  const counts = (s: { services: number; nodes: number; ready: boolean } | null) =>
    s ? `${s.services} Services, ${s.nodes} nodes${s.ready ? '' : ', not Ready'}` : '-';
  const why = p.after && !p.after.ready ? p.after.reason : '';
  return [p.name, p.change, counts(p.before), counts(p.after), why];
}

export function renderPlan(r: PlanReport): string {
  const changing = r.services.filter((s) => s.pending || s.addresses.some((a) => a.change !== 'keeps'));
  const services = changing.length
    ? table(['SERVICE', 'CHANGE', 'FAMILY', 'ADDRESS', 'POOL', 'WHY'], changing.flatMap(serviceRows))
    : 'No Service would gain, lose or move an address.';
  const pools = table(['POOL', 'CHANGE', 'BEFORE', 'AFTER', 'WHY'], r.pools.map(poolRow));
  const policies = r.policies.length
    ? table(['POLICY', 'CHANGE', 'BEFORE', 'AFTER', 'WHY'], r.policies.map(policyRow))
    : 'No L2AnnouncementPolicy.';
  const s = r.summary;
  const verdict =
    s.loses + s.moves > 0
      ? `${s.loses + s.moves} held address(es) would be released or moved`
      : 'no held address would be released or moved';
  const counts = `${s.keeps} kept, ${s.gains} gained, ${s.moves} moved, ${s.loses} lost`;
  const line = `${counts}; ${s.pending} Service(s) pending: ${verdict}`;
  const notes = r.notes.map((n) => `Note: ${n}`);
  return [services, '', pools, '', policies, '', ...notes, line].join('\n');
}
