import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { quoteUserText, truncateMessage } from '../../../src/ipam/user-text.js';
import { Allocator } from '../../../src/ipam/allocator.js';
import { pool, svc } from './fixtures.js';

describe('user text echoed into conditions and Events', () => {
  it('is quoted whole when short', () => assert.equal(quoteUserText('a"b'), '"a\\"b"'));

  it('is cut to 256 characters with a note of the rest', () => {
    assert.equal(quoteUserText('x'.repeat(300)), `"${'x'.repeat(256)}"... (44 more characters)`);
  });

  it('a 100 KB lanlb.io/ips or lanlb.io/pool reaches the failure message cut', () => {
    const a = new Allocator();
    a.setPools([pool('p', [{ cidr: '192.0.2.0/28' }])]);
    const huge = 'y'.repeat(100_000);
    for (const request of [svc('ns/a', { requestedIPs: [huge] }), svc('ns/b', { pool: huge })]) {
      const out = a.assign(request);
      assert.equal(out.kind, 'failed');
      assert.ok(
        out.kind === 'failed' && out.message.length < 400,
        `message of ${out.kind === 'failed' ? out.message.length : 0}`,
      );
    }
  });

  it('a whole message is cut at its limit', () => {
    assert.equal(truncateMessage('abcdef', 5), 'ab...');
    assert.equal(truncateMessage('abc', 5), 'abc');
  });
});
