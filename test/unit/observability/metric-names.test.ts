// Both processes' metrics follow Prometheus conventions (issue 25): Node.js's default metrics
// keep their standard names, counters end in _total and nothing else does, units are suffixed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { processRegistry } from '../../../src/cli/long-running.js';
import { ControllerMetrics } from '../../../src/controller/metrics.js';
import { AnnouncerMetrics } from '../../../src/announcer/metrics.js';

async function families(component: 'controller' | 'announcer'): Promise<Array<{ name: string; type: string }>> {
  const registry = processRegistry();
  if (component === 'controller') new ControllerMetrics(registry);
  else new AnnouncerMetrics(registry);
  const json = (await registry.getMetricsAsJSON()) as unknown as Array<{ name: string; type: string }>;
  return json.map((m) => ({ name: m.name, type: String(m.type) }));
}

describe('metric names', () => {
  for (const component of ['controller', 'announcer'] as const) {
    it(`${component}: standard process and Node.js names, no lanlb_ copies of them`, async () => {
      const names = (await families(component)).map((f) => f.name);
      for (const std of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes'])
        assert.ok(names.includes(std), `${std} is exported under its standard name`);
      assert.deepEqual(
        names.filter((n) => /^lanlb_(process|nodejs)_/.test(n)),
        [],
        'no prefixed default metrics',
      );
    });

    it(`${component}: counters end in _total, gauges and histograms never do`, async () => {
      const wrong = (await families(component)).filter((f) => (f.type === 'counter') !== f.name.endsWith('_total'));
      assert.deepEqual(wrong, [], 'a counter without _total, or a non-counter with it');
    });
  }
});
