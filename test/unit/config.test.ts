// config/ as kustomize renders it: it builds, everything in it validates, RBAC is least
// privilege without wildcards, and the workloads are hardened as documented.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateText } from '../../src/cli/validate-command.js';

type Doc = {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Array<Record<string, string[]>>;
  spec?: Record<string, unknown>;
};
const render = (dir: string): Doc[] =>
  parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })).map((d) => d.toJS() as Doc);

describe('config/ (kustomize)', () => {
  const docs = render('config/default');
  const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);

  it('config/default builds, in lanlb-system, with CRDs, RBAC, workloads and the webhook', () => {
    for (const [kind, name] of [
      ['CustomResourceDefinition', 'loadbalancerippools.lanlb.io'],
      ['CustomResourceDefinition', 'l2announcementpolicies.lanlb.io'],
      ['CustomResourceDefinition', 'l2announcements.lanlb.io'],
      ['Deployment', 'lanlb-controller'],
      ['DaemonSet', 'lanlb-announcer'],
      ['ValidatingWebhookConfiguration', 'lanlb-validating-webhook'],
      ['Namespace', 'lanlb-system'],
    ] as const) {
      assert.ok(find(kind, name), `${kind}/${name}`);
    }
    const leaderElection = new Set(['lanlb-controller-leader-election']);
    for (const d of docs.filter((x) =>
      ['Deployment', 'DaemonSet', 'ServiceAccount', 'Role', 'RoleBinding', 'Service'].includes(x.kind),
    )) {
      const want = leaderElection.has(d.metadata.name) ? 'lanlb-leader-election' : 'lanlb-system';
      assert.equal(d.metadata.namespace, want, `${d.kind}/${d.metadata.name}`);
    }
    assert.ok(find('Namespace', 'lanlb-leader-election'), 'the Namespace lanlb-leader-election is rendered');
  });

  it('config/prometheus is an optional component: PodMonitors and the PrometheusRule, not in config/default', () => {
    assert.ok(!docs.some((d) => d.kind === 'PrometheusRule' || d.kind === 'PodMonitor'), 'not in config/default');
    const dir = mkdtempSync(join(tmpdir(), 'lanlb-overlay-'));
    try {
      const rel = (p: string) => relative(dir, join(process.cwd(), p));
      writeFileSync(
        join(dir, 'kustomization.yaml'),
        `resources: [${rel('config/default')}]\ncomponents: [${rel('config/prometheus')}]\n`,
      );
      const withIt = render(dir);
      const kinds = withIt
        .filter((d) => d.metadata.namespace === 'lanlb-system')
        .map((d) => `${d.kind}/${d.metadata.name}`);
      for (const want of ['PrometheusRule/lanlb', 'PodMonitor/lanlb-controller', 'PodMonitor/lanlb-announcer'])
        assert.ok(kinds.includes(want), `${want} in lanlb-system`);
      assert.equal(withIt.length, docs.length + 3, 'the component adds exactly those three');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the controller elects its leader in lanlb-leader-election, where only it has rights', () => {
    assert.match(
      JSON.stringify(find('Deployment', 'lanlb-controller')?.spec),
      /--leader-election-namespace=lanlb-leader-election/,
    );
    const bindings = docs.filter((d) => d.kind === 'RoleBinding' && d.metadata.namespace === 'lanlb-leader-election');
    assert.deepEqual(
      bindings.map((b) => JSON.stringify((b as unknown as { subjects: unknown }).subjects)),
      [JSON.stringify([{ kind: 'ServiceAccount', name: 'lanlb-controller', namespace: 'lanlb-system' }])],
    );
  });

  it('the announcer serves health and metrics on HOST_IP from the Downward API', () => {
    const spec = JSON.stringify(find('DaemonSet', 'lanlb-announcer')?.spec);
    assert.match(spec, /"name":"HOST_IP","valueFrom":\{"fieldRef":\{"fieldPath":"status.hostIP"\}\}/);
    assert.doesNotMatch(spec, /--health-addr=:|--metrics-addr=:/, 'no flag binds every interface');
  });

  it('RBAC has no wildcards and the two roles are separate', () => {
    for (const d of docs.filter((x) => x.kind === 'ClusterRole' || x.kind === 'Role')) {
      for (const rule of d.rules ?? [])
        for (const field of ['apiGroups', 'resources', 'verbs'])
          assert.ok(!(rule[field] ?? []).includes('*'), `${d.kind}/${d.metadata.name} ${field}`);
    }
    const announcer = JSON.stringify(find('ClusterRole', 'lanlb-announcer'));
    assert.doesNotMatch(
      announcer,
      /services\/status|secrets|customresourcedefinitions/,
      'the announcer cannot write status or read secrets',
    );
  });

  it('the controller: 2 replicas, non-root, read-only root filesystem, probes', () => {
    const spec = JSON.stringify(find('Deployment', 'lanlb-controller')?.spec);
    assert.match(spec, /"replicas":2/);
    assert.match(spec, /"runAsNonRoot":true/);
    assert.match(spec, /"readOnlyRootFilesystem":true/);
    assert.match(spec, /"livenessProbe"/);
    assert.match(spec, /"readinessProbe"/);
  });

  it('the announcer: hostNetwork and only NET_RAW added', () => {
    const spec = JSON.stringify(find('DaemonSet', 'lanlb-announcer')?.spec);
    assert.match(spec, /"hostNetwork":true/);
    assert.match(spec, /"add":\["NET_RAW"\]/);
    assert.match(spec, /"drop":\["ALL"\]/);
  });

  it('everything config/ renders, and the samples, pass `lanlb validate`', () => {
    for (const dir of ['config/default', 'config/samples']) {
      const r = validateText(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }), dir);
      assert.deepEqual(r.lines, [], dir);
    }
    assert.ok(
      validateText(execFileSync('kubectl', ['kustomize', 'config/samples'], { encoding: 'utf8' }), 's').checked >= 6,
      'config/samples renders at least 6 lanlb objects, all checked',
    );
  });

  it('Argo CD: health checks for both kinds and an Application with ServerSideApply', () => {
    const argo = render('config/argocd');
    const cm = JSON.stringify(argo.find((d) => d.kind === 'ConfigMap'));
    assert.match(cm, /resource.customizations.health.lanlb.io_LoadBalancerIPPool/);
    assert.match(cm, /resource.customizations.health.lanlb.io_L2AnnouncementPolicy/);
    assert.match(JSON.stringify(argo.find((d) => d.kind === 'Application')), /ServerSideApply=true/);
    assert.match(
      JSON.stringify(find('CustomResourceDefinition', 'loadbalancerippools.lanlb.io')),
      /"argocd.argoproj.io\/sync-wave":"-1"/,
    );
  });
});
