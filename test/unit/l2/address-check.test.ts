// The address-in-use check before a first announcement, on a fake timeline.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AddressCheck } from '../../../src/l2/election/address-check.js';

describe('AddressCheck', () => {
  const t = { probeMs: 300, retryMs: 30_000 };

  it('no answer within the probe time: clear, and stays clear', () => {
    const c = new AddressCheck(t);
    assert.equal(c.status('s', 0).kind, 'start');
    c.started('s', 0);
    assert.deepEqual(c.status('s', 299), { kind: 'wait', recheckInMs: 1 });
    assert.equal(c.status('s', 300).kind, 'clear');
    assert.equal(c.status('s', 100_000).kind, 'clear');
  });

  it('another host answers: in use (news once), checked again every 30 s until it is gone', () => {
    const c = new AddressCheck(t);
    c.status('s', 0);
    c.started('s', 0);
    c.foreignAnswer('s', '02:00:00:00:00:ee', '192.0.2.200');
    const s = c.status('s', 300);
    assert.deepEqual(s, {
      kind: 'in-use',
      mac: '02:00:00:00:00:ee',
      address: '192.0.2.200',
      first: true,
      recheckInMs: 30_000,
    });
    assert.equal(c.status('s', 30_299).kind, 'wait');
    assert.equal(c.status('s', 30_300).kind, 'start');
    c.started('s', 30_300);
    c.foreignAnswer('s', '02:00:00:00:00:ee', '192.0.2.200');
    assert.equal((c.status('s', 30_600) as { first: boolean }).first, false, 'the same host again is no news');
    c.status('s', 60_600);
    c.started('s', 60_600);
    assert.equal(c.status('s', 60_900).kind, 'clear');
  });

  it('an answer outside a check counts for nothing', () => {
    const c = new AddressCheck(t);
    c.foreignAnswer('s', '02:00:00:00:00:ee', '192.0.2.200');
    assert.equal(c.status('s', 0).kind, 'start');
  });

  it('a Service no longer planned is forgotten, so it is checked again if it comes back', () => {
    const c = new AddressCheck(t);
    c.status('s', 0);
    c.started('s', 0);
    c.status('s', 300);
    c.keepOnly(new Set());
    assert.equal(c.status('s', 400).kind, 'start');
  });
});
