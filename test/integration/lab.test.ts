// `lanlb lab --apiserver-outage --failover --exit`: README's first command (without waiting for
// Ctrl-C), with both demonstrations of failure.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startLanlb } from '../helpers/lanlb-process.js';

describe('lanlb lab', () => {
  it(
    'shows pools, the EXTERNAL-IP, the Lease holder and the ARP answer, ' +
      'rides out a frozen apiserver, fails over, and leaves nothing behind',
    async () => {
      const lab = startLanlb(['lab', '--apiserver-outage', '--failover', '--exit']);
      const code = await lab.exited(200_000);
      const out = lab.lines.join('\n');
      assert.equal(code, 0, out);
      assert.match(out, /NAME\s+DISABLED\s+CONFLICTING\s+IPS AVAILABLE\s+AGE/);
      assert.match(out, /lab-pool\s+false\s+False\s+27\s/);
      assert.match(out, /web\s+LoadBalancer\s+\S+\s+192\.0\.2\.200\s+80:\d+\/TCP/);
      assert.match(out, /lanlb-l2-demo\.web\s+node[12]\s/);
      const answer = /192\.0\.2\.200 is at ([0-9a-f:]{17}) \((node[12]); Lease holder: (node[12])\)/.exec(out);
      assert.ok(answer, out);
      assert.equal(answer[2], answer[3], "the MAC that answers is the Lease holder's");
      const outage = /(\d+) of 300 asks unanswered; answered by ([0-9a-f:]{17}) \((node[12])\)$/m.exec(out);
      assert.ok(outage, out);
      assert.deepEqual([outage[1], outage[3]], ['0', answer[2]], 'the holder answered every ask');
      // lanlb status after the Service is addressed: the pool, and the holder with its MAC.
      const status = new RegExp(
        `^web +192\\.0\\.2\\.200 \\(lab-pool\\) +lab-policy +${answer[2]} +eth0 ${answer[1]} +Announced$`,
        'm',
      );
      assert.match(out, status, `lanlb status shows the holder and its MAC:\n${out}`);
      // The takeover: another node answers (its time is a benchmark's business, not a test's) ...
      const takeover = /192\.0\.2\.200 is now at ([0-9a-f:]{17}) \((node[12])\): takeover took [0-9.]+ s/.exec(out);
      assert.ok(takeover, `a takeover line:\n${out}`);
      assert.notEqual(takeover[2], answer[2], 'another node took over');
      // ... and the Events tell it: the new holder announces, naming the node it took over from.
      const story = new RegExp(
        `L2Announcing +Announcing 192\\.0\\.2\\.200 from node ${takeover[2]} on eth0, taking over from ${answer[2]}`,
      );
      assert.match(out, story, `the Events tell the takeover:\n${out}`);
      const after = new RegExp(
        `^web +192\\.0\\.2\\.200 \\(lab-pool\\) +lab-policy +${takeover[2]} +eth0 ${takeover[1]} +Announced$`,
        'm',
      );
      assert.match(out, after, `lanlb status after the takeover names the new holder:\n${out}`);
      assert.match(out, /lab stopped: processes ended, namespaces removed/);
      assert.doesNotMatch(execFileSync('ip', ['netns', 'list']).toString(), /lanlb-lab-/);
    },
  );
});
