import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { onHostIP, readProcessFlags, DEFAULT_NAMESPACE, UsageError } from '../../../src/cli/process-flags.js';
import { CONTROLLER_DEFAULTS, controllerHelp } from '../../../src/cli/controller-command.js';
import { ANNOUNCER_DEFAULTS, announcerDefaults, announcerHelp } from '../../../src/cli/announcer-command.js';
import { parseListenAddr } from '../../../src/observability/health-server.js';
import { main, usage } from '../../../src/cli/main.js';

describe('process flags', () => {
  it('defaults: namespace lanlb-system, controller :8081/:8080, announcer :7473/:7472, log level info', () => {
    assert.equal(DEFAULT_NAMESPACE, 'lanlb-system');
    assert.deepEqual(readProcessFlags({}, CONTROLLER_DEFAULTS, {}), {
      kubeconfig: undefined,
      namespace: 'lanlb-system',
      healthAddr: ':8081',
      metricsAddr: ':8080',
      logLevel: 'info',
    });
    assert.deepEqual(readProcessFlags({}, ANNOUNCER_DEFAULTS, {}).healthAddr, ':7473');
    assert.deepEqual(readProcessFlags({}, ANNOUNCER_DEFAULTS, {}).metricsAddr, ':7472');
  });

  it('the help text states the same defaults', () => {
    assert.match(controllerHelp, /default :8081; 0 disables/);
    assert.match(controllerHelp, /default :8080; 0 disables/);
    assert.match(announcerHelp, /default :7473; 0 disables/);
    assert.match(announcerHelp, /default lanlb-system/);
  });

  it("HOST_IP puts the announcer's endpoints on the node's own address; a flag with a host wins", () => {
    assert.deepEqual(announcerDefaults({ HOST_IP: '192.0.2.7' }), {
      healthAddr: '192.0.2.7:7473',
      metricsAddr: '192.0.2.7:7472',
    });
    assert.deepEqual(announcerDefaults({ HOST_IP: '2001:db8::7' }).healthAddr, '[2001:db8::7]:7473');
    assert.deepEqual(announcerDefaults({}), ANNOUNCER_DEFAULTS);
    assert.equal(
      readProcessFlags({ 'health-addr': '127.0.0.1:9' }, announcerDefaults({ HOST_IP: '192.0.2.7' }), {}).healthAddr,
      '127.0.0.1:9',
    );
    assert.equal(onHostIP('127.0.0.1:9', '192.0.2.7'), '127.0.0.1:9');
  });

  it('POD_NAMESPACE sets the namespace and --namespace wins over it', () => {
    assert.equal(readProcessFlags({}, CONTROLLER_DEFAULTS, { POD_NAMESPACE: 'ops' }).namespace, 'ops');
    assert.equal(readProcessFlags({ namespace: 'x' }, CONTROLLER_DEFAULTS, { POD_NAMESPACE: 'ops' }).namespace, 'x');
  });

  it('rejects an unknown log level as a usage error', () => {
    assert.throws(() => readProcessFlags({ 'log-level': 'loud' }, CONTROLLER_DEFAULTS, {}), UsageError);
  });
});

describe('listen addresses', () => {
  const table: Array<[string, ReturnType<typeof parseListenAddr>]> = [
    ['0', undefined],
    ['', undefined],
    [':8080', { host: '0.0.0.0', port: 8080 }],
    ['8080', { host: '0.0.0.0', port: 8080 }],
    ['127.0.0.1:9', { host: '127.0.0.1', port: 9 }],
    ['[::1]:9', { host: '::1', port: 9 }],
  ];
  for (const [input, want] of table)
    it(`parses ${JSON.stringify(input)}`, () => assert.deepEqual(parseListenAddr(input), want));
  it('rejects a port out of range', () => assert.throws(() => parseListenAddr(':70000')));
});

describe('lanlb CLI', () => {
  it('lists its commands and exits 2 on an unknown one', async () => {
    assert.match(usage(), /controller/);
    assert.match(usage(), /announcer/);
    const errors: string[] = [];
    const orig = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      assert.equal(await main(['frobnicate']), 2);
    } finally {
      console.error = orig;
    }
    assert.match(errors.join('\n'), /unknown command "frobnicate"/);
  });
});

describe('documented failover and webhook defaults', async () => {
  const { DEFAULT_ANNOUNCER_TIMINGS } = await import('../../../src/announcer/options.js');
  const { controllerHelp, DEFAULT_WORKERS, webhookHosts } = await import('../../../src/cli/controller-command.js');
  const { DEFAULT_ANNOUNCE_SCHEDULE } = await import('../../../src/l2/responder/pcap-responder.js');

  it('announcer: heartbeat frames every 100ms, probe 150ms, node Lease every 10s for 40s; help says so', () => {
    assert.deepEqual(DEFAULT_ANNOUNCER_TIMINGS, {
      staggerMs: 100,
      tickMs: 100,
      nodeLeaseRenewMs: 10_000,
      nodeLeaseDurationMs: 40_000,
      wire: { intervalMs: 100, missedIntervals: 3, probeTimeoutMs: 150, probeValidMs: 10_000 },
    });
    assert.match(announcerHelp, /--heartbeat-interval D +heartbeat frames on the wire \(default 100ms\)/);
    assert.match(announcerHelp, /--node-lease-renew D .*\(default 10s/);
    assert.match(announcerHelp, /default 40s\)/);
  });

  it('gratuitous ARP / unsolicited NA at once and after 0.5, 1.5 and 3 s', () => {
    assert.deepEqual(DEFAULT_ANNOUNCE_SCHEDULE, [0, 500, 1_500, 3_000]);
  });

  it('the host of --webhook-public-url is in the serving certificate (IP or name, IPv6 unbracketed)', () => {
    const svc = ['lanlb-webhook.lanlb-system.svc', 'lanlb-webhook.lanlb-system.svc.cluster.local'];
    assert.deepEqual(webhookHosts('lanlb-webhook', 'lanlb-system', [], 'https://127.0.0.1:9443'), [
      ...svc,
      '127.0.0.1',
    ]);
    assert.deepEqual(webhookHosts('lanlb-webhook', 'lanlb-system', [], 'https://[2001:db8::1]:9443/x'), [
      ...svc,
      '2001:db8::1',
    ]);
    assert.deepEqual(webhookHosts('lanlb-webhook', 'lanlb-system', ['127.0.0.1'], 'https://127.0.0.1:1'), [
      ...svc,
      '127.0.0.1',
    ]);
  });

  it('controller: 16 workers, webhook on :9443, lease 15s/10s/2s; help says so', () => {
    assert.equal(DEFAULT_WORKERS, 16);
    assert.match(controllerHelp, /default 16/);
    assert.match(controllerHelp, /default :9443; 0 disables/);
    assert.match(controllerHelp, /default 15s/);
    assert.deepEqual(webhookHosts('lanlb-webhook', 'lanlb-system', []), [
      'lanlb-webhook.lanlb-system.svc',
      'lanlb-webhook.lanlb-system.svc.cluster.local',
    ]);
  });
});
