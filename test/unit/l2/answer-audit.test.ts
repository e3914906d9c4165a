// The answer audit's rate, spreading and verdicts, on a fake timeline with a fixed jitter.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerAudit, DEFAULT_AUDIT, type AuditTarget } from '../../../src/l2/election/answer-audit.js';

const peer = (holder: string, service = `ns/${holder}`): AuditTarget => ({
  service,
  holder,
  holderMacs: [`02:00:00:00:00:0${holder.slice(-1)}`],
  self: false,
});

describe('AnswerAudit', () => {
  it('sends at most one probe per second, and each target about every 10 s', () => {
    const a = new AnswerAudit(DEFAULT_AUDIT, () => 0.5);
    const targets = Array.from({ length: 30 }, (_, i) => peer(`n${i}`, `ns/s${i}`));
    const sent: number[] = [];
    for (let t = 0; t < 60_000; t += 100) if (a.next(targets, t)) sent.push(t);
    for (let i = 1; i < sent.length; i++)
      assert.ok((sent[i] ?? 0) - (sent[i - 1] ?? 0) >= 1_000, `probes ${i - 1} and ${i} at least 1 s apart`);
    assert.ok(sent.length >= 55 && sent.length <= 60, `${sent.length} probes in 60 s`);
    const one = new AnswerAudit(DEFAULT_AUDIT, () => 0.5);
    const times: number[] = [];
    for (let t = 0; t < 60_000; t += 100) if (one.next([peer('n1')], t)) times.push(t);
    assert.deepEqual(times, [5_000, 15_000, 25_000, 35_000, 45_000, 55_000]);
  });

  it('a holder that does not answer twice in a row is dark for 30 s; one answer resets the count', () => {
    const a = new AnswerAudit(DEFAULT_AUDIT, () => 0.5);
    const t = peer('n2');
    assert.deepEqual(a.verdict(t, new Set(), 0), { kind: 'no-answer', dark: false });
    assert.deepEqual(a.verdict(t, new Set(['02:00:00:00:00:02']), 1_000), { kind: 'ok' });
    assert.deepEqual(a.verdict(t, new Set(), 2_000), { kind: 'no-answer', dark: false });
    assert.deepEqual(a.verdict(t, new Set(), 3_000), { kind: 'no-answer', dark: true });
    assert.equal(a.darkSince('n2', 32_999), 3_000);
    assert.equal(a.darkSince('n2', 33_000), undefined);
  });

  it('a holder never reached on the wire (another segment) is never found dark by its silence', () => {
    const a = new AnswerAudit(DEFAULT_AUDIT, () => 0.5);
    const t = peer('n3');
    for (let i = 0; i < 5; i++)
      assert.deepEqual(a.verdict(t, new Set(), i * 1_000, false), { kind: 'no-answer', dark: false }, `audit ${i}`);
    assert.equal(a.darkSince('n3', 5_000), undefined, 'not dark: judged by Kubernetes instead');
    // Once it has answered (same segment, heartbeats filtered), its silence counts again.
    assert.deepEqual(a.verdict(t, new Set(['02:00:00:00:00:03']), 6_000, false), { kind: 'ok' });
    a.verdict(t, new Set(), 7_000, false);
    assert.deepEqual(a.verdict(t, new Set(), 8_000, false), { kind: 'no-answer', dark: true }, 'reached once: dark');
  });

  it('after a failed probe the same holder is probed again as soon as the rate allows', () => {
    const a = new AnswerAudit(DEFAULT_AUDIT, () => 0.5);
    const t = peer('n2');
    let first = -1;
    for (let x = 0; x < 20_000 && first < 0; x += 100) if (a.next([t], x)) first = x;
    a.verdict(t, new Set(), first + 150);
    assert.equal(a.next([t], first + 900), undefined);
    assert.ok(a.next([t], first + 1_000), 'probed again after one second');
  });

  it('a foreign MAC besides the holder is reported; a self-audit never makes anyone dark', () => {
    const a = new AnswerAudit();
    const self: AuditTarget = { service: 'ns/s', holder: 'n1', holderMacs: ['02:00:00:00:00:01'], self: true };
    assert.deepEqual(a.verdict(self, new Set(['02:00:00:00:00:ee']), 0), {
      kind: 'foreign',
      macs: ['02:00:00:00:00:ee'],
    });
    assert.deepEqual(a.verdict(self, new Set(), 0), { kind: 'ok' });
    assert.equal(a.darkSince('n1', 1), undefined);
  });
});
