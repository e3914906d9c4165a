// config/prometheus's alerting rules, checked and unit-tested with promtool (Debian's
// `prometheus`) on series taken from a real /metrics scrape: a real `lanlb controller` and
// `lanlb announcer` on a real apiserver are brought into every state an alert is about (a full
// pool, a conflicting one, an invalid one, a pending Service, a selected node that cannot answer),
// their /metrics are scraped, and promtool evaluates the shipped rules on those series.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { controllerAccess, useCluster, eventually } from '../helpers/cluster.js';
import { startLanlb, type LanlbProcess } from '../helpers/lanlb-process.js';
import { createPool, createService, ensureNamespace, nsSelector } from '../helpers/k8s-objects.js';
import { freePort } from '../../src/devcluster/free-port.js';

const execFileP = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: string;
}

/** The samples of a Prometheus text exposition (no HELP/TYPE lines), lanlb's own metrics only. */
function samples(text: string, extra: Record<string, string>): Sample[] {
  return text.split('\n').flatMap((line) => {
    const m = /^(lanlb_[a-z0-9_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m?.[1] || m[3] === undefined) return [];
    const labels: Record<string, string> = { ...extra };
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = l[2] ?? '';
    return [{ name: m[1], labels, value: m[3] }];
  });
}

const seriesName = (s: Sample): string =>
  `${s.name}{${Object.entries(s.labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

/**
 * promtool's input series: every sample held for 30 minutes at its scraped value, except where
 * `grow` says how it moves per minute from there (a pending Service's wait grows by 60 s a minute;
 * a counter that a finding increments).
 */
function inputSeries(all: Sample[], grow: (s: Sample) => number): Array<{ series: string; values: string }> {
  return all.map((s) => ({ series: seriesName(s), values: `${s.value}+${grow(s)}x30` }));
}

async function metrics(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return res.text();
}

describe('config/prometheus alert rules (promtool, on real scrapes)', () => {
  const c = useCluster({ crds: true, rbac: true });
  let controller: LanlbProcess;
  let announcer: LanlbProcess;
  let controllerPort = 0;
  let announcerPort = 0;
  let dir = '';
  let scraped: Sample[] = [];
  /** alert -> its annotation templates, as the rule file has them */
  let annotations = new Map<string, Record<string, string>>();

  /** What promtool expects: the annotations with {{ $labels.X }} filled in (no rule uses $value). */
  const expected = (alertname: string, labels: Record<string, string>, severity: string) => ({
    exp_labels: { severity, ...labels },
    exp_annotations: Object.fromEntries(
      Object.entries(annotations.get(alertname) ?? {}).map(([k, v]) => [
        k,
        v.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, l: string) => labels[l] ?? ''),
      ]),
    ),
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lanlb-alerts-'));
    controllerPort = await freePort();
    announcerPort = await freePort();
    await ensureNamespace(c.http, 'lanlb-system');
    controller = startLanlb([
      'controller',
      ...controllerAccess(c),
      ...['--webhook-addr', '0', '--health-addr', '0', '--metrics-addr', `127.0.0.1:${controllerPort}`],
    ]);
    await controller.waitForLog('leading', 30_000);
    await c.http.post('/api/v1/nodes', {
      metadata: { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a' } },
    });
    // A policy selecting node-a on an interface it does not have: selected, unable to answer. No
    // interface of this machine matches, so the announcer opens no capture and sends nothing.
    await c.http.post('/apis/lanlb.io/v1beta1/l2announcementpolicies', {
      apiVersion: 'lanlb.io/v1beta1',
      kind: 'L2AnnouncementPolicy',
      metadata: { name: 'nowhere' },
      spec: { interfaces: ['^lanlb-absent0$'] },
    });
    announcer = startLanlb([
      'announcer',
      ...['--node-name', 'node-a', '--kubeconfig', c.announcerKubeconfig],
      ...['--health-addr', '0', '--metrics-addr', `127.0.0.1:${announcerPort}`],
    ]);
    await createPool(c.http, 'full', {
      blocks: [{ start: '192.0.2.1', stop: '192.0.2.2' }],
      serviceSelector: nsSelector('alerts'),
    });
    await createPool(c.http, 'z-conflict', {
      blocks: [{ cidr: '192.0.2.0/29' }],
      serviceSelector: nsSelector('nobody'),
    });
    await createPool(c.http, 'bad', { blocks: [{ cidr: '127.0.0.0/30' }] });
    for (const name of ['a', 'b']) await createService(c.http, 'alerts', name);
    await createService(c.http, 'alerts', 'waits', { annotations: { 'lanlb.io/pool': 'no-such-pool' } });
    scraped = await eventually(
      async () => {
        const ctl = await metrics(controllerPort);
        const ann = await metrics(announcerPort);
        const wanted = [
          /^lanlb_pool_addresses\{pool="full",state="available"\} 0$/m.test(ctl),
          /^lanlb_pool_state\{pool="z-conflict",state="Conflicting"\} 1$/m.test(ctl),
          /^lanlb_pool_state\{pool="bad",state="InvalidBlocks"\} 1$/m.test(ctl),
          /^lanlb_services_pending\{reason="PoolNotFound"\} 1$/m.test(ctl),
          /^lanlb_l2_selected 1$/m.test(ann) && /^lanlb_l2_available 0$/m.test(ann),
        ];
        if (wanted.every(Boolean))
          return [
            ...samples(ctl, { job: 'lanlb-controller', instance: 'controller-0' }),
            ...samples(ann, { job: 'lanlb-announcer', instance: 'node-a' }),
          ];
        throw new Error(`states reached: ${wanted.join(', ')}`);
      },
      30_000,
      'every alerting state in the scraped metrics',
    );
    const rule = parse(readFileSync(join(root, 'config/prometheus/prometheus-rule.yaml'), 'utf8')) as {
      spec: unknown;
    };
    writeFileSync(join(dir, 'rules.yaml'), stringify(rule.spec));
    annotations = new Map(
      (rule.spec as { groups: Array<{ rules: Array<{ alert: string; annotations: Record<string, string> }> }> }).groups
        .flatMap((g) => g.rules)
        .map((r) => [r.alert, r.annotations]),
    );
  });
  after(async () => {
    await announcer?.stop();
    await controller?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const promtool = async (test: object): Promise<{ code: number; out: string }> => {
    const file = join(dir, `test-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests: [test] }));
    try {
      const r = await execFileP('promtool', ['test', 'rules', file], { cwd: dir, timeout: 60_000 });
      return { code: 0, out: r.stdout + r.stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  };

  it('promtool check rules accepts the shipped PrometheusRule', async () => {
    const r = await execFileP('promtool', ['check', 'rules', join(dir, 'rules.yaml')]);
    assert.match(r.stdout, /SUCCESS: 9 rules found/, r.stdout);
  });

  it('promtool check metrics finds nothing to object to in either process', async () => {
    for (const port of [controllerPort, announcerPort]) {
      const text = await metrics(port);
      const r = await new Promise<{ code: number | null; out: string }>((done) => {
        const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) =>
          done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
        );
        child.stdin?.end(text);
      });
      assert.equal(r.code, 0, `promtool check metrics on :${port}:\n${r.out}`);
    }
  });

  it('the metrics the rules read are all exported by the processes', () => {
    const rules = readFileSync(join(root, 'config/prometheus/prometheus-rule.yaml'), 'utf8');
    const names = new Set(scraped.map((s) => s.name));
    for (const m of rules.matchAll(/\b(lanlb_[a-z0-9_]+)/g)) assert.ok(names.has(m[1] ?? ''), `${m[1]} is exported`);
  });

  it('every alert fires on the states the processes were put in', async () => {
    const counters = /^lanlb_l2_(address_in_use|announcement_mismatches)_total$/;
    const grow = (s: Sample): number =>
      s.name === 'lanlb_service_pending_oldest_seconds' ? 60 : counters.test(s.name) ? 1 : 0;
    const announcer = { job: 'lanlb-announcer', instance: 'node-a' };
    const exp = (alertname: string, labels: Array<Record<string, string>>, severity = 'warning') => ({
      eval_time: '10m',
      alertname,
      exp_alerts: labels.map((l) => expected(alertname, l, severity)),
    });
    const r = await promtool({
      interval: '1m',
      input_series: inputSeries(scraped, grow),
      alert_rule_test: [
        exp('LanlbPoolAlmostFull', [{ pool: 'full' }]),
        exp('LanlbPoolExhausted', [{ pool: 'full' }], 'critical'),
        exp('LanlbPoolConflicting', [{ pool: 'z-conflict' }]),
        exp('LanlbPoolInvalid', [{ pool: 'bad', state: 'InvalidBlocks' }]),
        exp('LanlbServicePending', [{}]),
        exp('LanlbAnnouncerUnableToAnswer', [announcer]),
        exp('LanlbAddressInUse', [announcer], 'critical'),
        exp('LanlbAnnouncementMismatch', [
          { ...announcer, kind: 'dark' },
          { ...announcer, kind: 'foreign' },
        ]),
        exp('LanlbControllerNoLeader', []),
      ],
    });
    assert.equal(r.code, 0, `promtool test rules:\n${r.out}`);
  });

  it('quiet: none fires on a healthy scrape, and a controller without a leader is noticed', async () => {
    const healthy = scraped.filter(
      (s) => !['full', 'z-conflict', 'bad'].includes(s.labels.pool ?? '') && s.name !== 'lanlb_services_pending',
    );
    const quiet = healthy.map((s) => {
      if (s.name === 'lanlb_service_pending_oldest_seconds') return { ...s, value: '0' };
      if (s.name === 'lanlb_l2_available') return { ...s, value: '1' };
      if (s.name === 'lanlb_controller_leader') return { ...s, value: '0' };
      return s;
    });
    const none = (alertname: string) => ({ eval_time: '10m', alertname, exp_alerts: [] });
    const r = await promtool({
      interval: '1m',
      input_series: inputSeries(quiet, () => 0),
      alert_rule_test: [
        ...[
          'LanlbPoolAlmostFull',
          'LanlbPoolExhausted',
          'LanlbPoolConflicting',
          'LanlbPoolInvalid',
          'LanlbServicePending',
          'LanlbAnnouncerUnableToAnswer',
          'LanlbAddressInUse',
          'LanlbAnnouncementMismatch',
        ].map(none),
        {
          eval_time: '10m',
          alertname: 'LanlbControllerNoLeader',
          exp_alerts: [expected('LanlbControllerNoLeader', {}, 'critical')],
        },
      ],
    });
    assert.equal(r.code, 0, `promtool test rules:\n${r.out}`);
  });
});
