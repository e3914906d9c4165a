// Startup requests are retried while the apiserver does not answer (found by the L2 chaos run:
// announcers started during an apiserver freeze exited), and only a 404 means an older
// EndpointSlice API.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  endpointSlicePath,
  ENDPOINT_SLICES_V1,
  ENDPOINT_SLICES_V1BETA1,
  whenAnswered,
} from '../../../src/kube/startup.js';
import { KubeApiError } from '../../../src/runtime/ports/api-error.js';
import { createLogger } from '../../../src/observability/logger.js';
import type { KubeHttp } from '../../../src/kube/http.js';

const log = createLogger('error');
const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

/** A request that fails with each of `errors` in turn, then answers `value`. */
function failing<T>(errors: unknown[], value: T) {
  let calls = 0;
  return {
    calls: () => calls,
    request: async () => {
      const err = errors[calls++];
      if (err !== undefined) throw err;
      return value;
    },
  };
}

describe('startup requests', () => {
  it('are retried while the apiserver does not answer, waiting 0.5 s doubling to 10 s', async () => {
    const errors = [refused, new KubeApiError(503, 'ServiceUnavailable', 'x'), new KubeApiError(429, 'x', 'x')];
    const r = failing([...errors, ...Array(5).fill(new Error('timeout'))], 'v');
    const waits: number[] = [];
    const got = await whenAnswered('x', r.request, log, async (ms) => void waits.push(ms));
    assert.equal(got, 'v');
    assert.equal(r.calls(), 9);
    assert.deepEqual(waits, [500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  });

  it('an answer that refuses (403) is thrown at once', async () => {
    const r = failing([new KubeApiError(403, 'Forbidden', 'no')], 'v');
    await assert.rejects(
      whenAnswered('x', r.request, log, async () => undefined),
      /no/,
    );
    assert.equal(r.calls(), 1);
  });

  it('EndpointSlice v1 when served, v1beta1 only on a 404, never on an apiserver that did not answer', async () => {
    const http = (errors: unknown[]) => {
      const r = failing(errors, {});
      return { http: { get: r.request } as unknown as KubeHttp, calls: r.calls };
    };
    const none = async () => undefined;
    assert.equal(await endpointSlicePath(http([]).http, log, none), ENDPOINT_SLICES_V1);
    assert.equal(
      await endpointSlicePath(http([new KubeApiError(404, 'NotFound', 'x')]).http, log, none),
      ENDPOINT_SLICES_V1BETA1,
    );
    const frozen = http([refused, new KubeApiError(504, 'Timeout', 'x')]);
    assert.equal(await endpointSlicePath(frozen.http, log, none), ENDPOINT_SLICES_V1);
    assert.equal(frozen.calls(), 3);
  });
});
