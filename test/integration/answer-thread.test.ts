// The answer path in its own thread (issue 14), on real frames: a veth pair between two
// namespaces this test makes and removes, lanlb's AnswerThread on one side (in a child process,
// test/helpers/answer-thread-child.ts), arping, ndisc6 and tcpdump on the other. Addresses from
// 192.0.2.0/24 and 2001:db8::/64 only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runInNetns } from '../../src/devcluster/run-program.js';
import { stopProcess, trackChild } from '../../src/devcluster/child-process.js';

const ip = (...a: string[]) => promisify(execFile)('ip', a);
const NS_R = 'lanlbt-ans-r';
const NS_C = 'lanlbt-ans-c';
const VIP = '192.0.2.200';
const VIP6 = '2001:db8::c8';
const OUR_MAC = '02:00:00:00:00:11';
const child = fileURLToPath(new URL('../helpers/answer-thread-child.ts', import.meta.url));
const responderChild = fileURLToPath(new URL('../helpers/pcap-responder-child.ts', import.meta.url));

async function removeNamespaces(): Promise<void> {
  for (const ns of [NS_R, NS_C]) await ip('netns', 'del', ns).catch(() => undefined);
}

async function vethPair(): Promise<void> {
  await removeNamespaces();
  await ip('netns', 'add', NS_R);
  await ip('netns', 'add', NS_C);
  await ip('link', 'add', 'eth0', 'netns', NS_R, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', NS_C);
  await ip('-n', NS_R, 'link', 'set', 'eth0', 'address', OUR_MAC, 'up');
  await ip('-n', NS_C, 'link', 'set', 'eth0', 'address', '02:00:00:00:00:c0', 'up');
  await ip('-n', NS_C, 'addr', 'add', '192.0.2.100/24', 'dev', 'eth0');
  await ip('-n', NS_C, 'addr', 'add', '2001:db8::100/64', 'dev', 'eth0', 'nodad');
}

interface Child {
  proc: ChildProcess;
  lines: string[];
  /** resolves with the first line matching `re` (already printed or to come) */
  line(re: RegExp, ms?: number): Promise<string>;
  exited: Promise<number | null>;
}

async function startChild(env: NodeJS.ProcessEnv = {}, script = child, addrs = [VIP], ns = NS_R): Promise<Child> {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', script, 'eth0', ...addrs], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  trackChild(proc);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  proc.stdout?.on('data', (d: Buffer) => {
    lines.push(...d.toString().split('\n').filter(Boolean));
    for (const w of waiters) w();
  });
  const exited = new Promise<number | null>((ok) => proc.once('exit', (code) => ok(code)));
  const line = (re: RegExp, ms = 20_000) =>
    new Promise<string>((ok, fail) => {
      const check = () => {
        const hit = lines.find((l) => re.test(l));
        if (hit === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        ok(hit);
      };
      const timer = setTimeout(() => fail(new Error(`no line ${re} within ${ms} ms: ${lines.join(' | ')}`)), ms);
      waiters.add(check);
      check();
    });
  await line(/^ready$/);
  return { proc, lines, line, exited };
}

/** tcpdump in the client namespace until stopped: its lines (heartbeat frames and ARP). */
async function capture(): Promise<{ stop(): Promise<string[]> }> {
  const dump = spawn(
    'ip',
    ['netns', 'exec', NS_C, 'tcpdump', '-i', 'eth0', '-nn', '-e', '-l', 'arp or ether proto 0x88b5'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  trackChild(dump);
  let text = '';
  dump.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  await new Promise<void>((ok) => dump.stderr?.on('data', (d: Buffer) => /listening on/.test(d.toString()) && ok()));
  return {
    async stop() {
      await new Promise((r) => setTimeout(r, 200));
      dump.kill('SIGINT');
      await stopProcess(dump, 3_000);
      return text.split('\n').filter(Boolean);
    },
  };
}

describe('the answer thread on real frames', { concurrency: false }, () => {
  before(vethPair);
  after(removeNamespaces);

  it('answers ARP and sends heartbeat frames while the main thread is blocked', async () => {
    const c = await startChild();
    try {
      const dump = await capture();
      c.proc.stdin?.write('block 2500\n');
      await new Promise((r) => setTimeout(r, 200)); // the block has begun
      const args = ['-c', '10', '-W', '0.1', '-I', 'eth0', VIP];
      const { stdout } = await runInNetns(NS_C, 'arping', args, { timeoutMs: 10_000, noAnswerCodes: [1] });
      assert.ok(!c.lines.includes('unblocked'), 'arping ended while the main thread was still blocked');
      const answers = [...stdout.matchAll(/bytes from ([0-9a-f:]{17}) \(/g)].map((m) => m[1]);
      assert.deepEqual(answers, Array<string>(10).fill(OUR_MAC), `every request answered by ${OUR_MAC}`);
      await c.line(/^unblocked$/);
      const beats = (await dump.stop()).filter(
        (l) => l.includes(`${OUR_MAC} >`) && /ethertype Unknown \(0x88b5\)/.test(l),
      );
      // 2.5 s at one frame per 50 ms is 50; most must have gone out while the main thread spun.
      assert.ok(beats.length >= 30, `${beats.length} heartbeat frames, expected >= 30`);
    } finally {
      c.proc.stdin?.write('close\n');
      await c.exited;
    }
  });

  it("peers' heartbeats are checked in the thread and reach the main thread in batches, never as frames", async () => {
    const c = await startChild({ LANLB_TEST_NODE: 'node-r' });
    const peer = await startChild({ LANLB_TEST_NODE: 'node-c' }, child, ['192.0.2.201'], NS_C);
    const forger = await startChild({ LANLB_TEST_NODE: 'node-f', LANLB_TEST_KEY: '9' }, child, ['192.0.2.202'], NS_C);
    try {
      await new Promise((r) => setTimeout(r, 1_500)); // 30 frames of each sender at 50 ms
      const heard = c.lines.filter((l) => l.startsWith('heard '));
      assert.ok(heard.length >= 10, `batches naming the peer: ${heard.length}`);
      assert.ok(
        heard.every((l) => /^heard node-c 02:00:00:00:00:c0 \d+$/.test(l)),
        `only the authentic peer, with its MAC: ${heard.slice(0, 3).join(' | ')}`,
      );
      // Batches every 50 ms of 20 frames a second: most batches hold one frame, none more than a few.
      assert.ok(heard.length <= 40, `${heard.length} batches in 1.5 s (one per frame would be 30 + more)`);
      const ages = heard.map((l) => Number(l.split(' ')[3]));
      assert.ok(Math.max(...ages) < 200, `ages ${Math.max(...ages)} ms: heard when captured, not when delivered`);
      const outcomes = c.lines
        .filter((l) => l.startsWith('outcomes '))
        .map((l) => JSON.parse(l.slice(9)) as Record<string, number>);
      const sum = (k: string) => outcomes.reduce((n, o) => n + (o[k] ?? 0), 0);
      assert.ok(sum('accepted') >= 20 && sum('unauthenticated') >= 20, JSON.stringify({ a: sum('accepted') }));
      c.proc.stdin?.write('frames\n');
      assert.equal(await c.line(/^frames /), 'frames 0', 'no heartbeat frame crossed to the main thread');
    } finally {
      for (const x of [forger, peer, c]) x.proc.stdin?.write('close\n');
      await Promise.all([forger.exited, peer.exited, c.exited]);
    }
  });

  // Found by the L2 chaos run: after fast carrier flaps a node's capture sent heartbeats but heard
  // and answered nothing for 85 s.
  it('after its link flaps 20 times in 4 s, the capture answers ARP and hears peers again', async () => {
    const c = await startChild({ LANLB_TEST_NODE: 'node-r' });
    const peer = await startChild({ LANLB_TEST_NODE: 'node-c' }, child, ['192.0.2.201'], NS_C);
    try {
      for (let i = 0; i < 20; i++) {
        await ip('-n', NS_R, 'link', 'set', 'eth0', 'down');
        await new Promise((r) => setTimeout(r, 50 + (i % 4) * 30));
        await ip('-n', NS_R, 'link', 'set', 'eth0', 'up');
        await new Promise((r) => setTimeout(r, 50 + (i % 3) * 40));
      }
      await new Promise((r) => setTimeout(r, 1_000)); // the link is up, its carrier back
      const heardBefore = c.lines.filter((l) => l.startsWith('heard ')).length;
      const args = ['-c', '10', '-W', '0.1', '-I', 'eth0', VIP];
      const { stdout } = await runInNetns(NS_C, 'arping', args, { timeoutMs: 10_000, noAnswerCodes: [1] });
      const answers = [...stdout.matchAll(/bytes from ([0-9a-f:]{17}) \(/g)].map((m) => m[1]);
      assert.ok(answers.length >= 9, `answered ${answers.length} of 10 requests after the flaps`);
      const heardAfter = c.lines.filter((l) => l.startsWith('heard ')).length - heardBefore;
      assert.ok(heardAfter >= 5, `the peer heard ${heardAfter} times in the second after the flaps`);
    } finally {
      for (const x of [peer, c]) x.proc.stdin?.write('close\n');
      await Promise.all([peer.exited, c.exited]);
    }
  });

  it('a main thread blocked past wedgedAfterMs: the thread goes dark, and the process exits after', async () => {
    const c = await startChild({ LANLB_TEST_WEDGED_MS: '1000' });
    const dump = await capture();
    c.proc.stdin?.write('block 4000\n');
    await new Promise((r) => setTimeout(r, 2_000)); // wedged for a second by now
    const args = ['-c', '5', '-W', '0.1', '-I', 'eth0', VIP];
    const { stdout } = await runInNetns(NS_C, 'arping', args, { timeoutMs: 10_000, noAnswerCodes: [1] });
    assert.ok(!c.lines.includes('unblocked'), 'arping ended while the main thread was still blocked');
    assert.doesNotMatch(stdout, /bytes from/, 'nothing answered once wedged');
    const lines = await dump.stop();
    assert.equal(await c.exited, 3, 'the process exits once its main thread runs again');
    // Heartbeats went out for about the first second of the block, none in its last two seconds.
    const beats = lines.filter((l) => l.includes(`${OUR_MAC} >`) && /0x88b5/.test(l));
    assert.ok(beats.length >= 5 && beats.length <= 60, `${beats.length} heartbeat frames`);
  });

  it('the answer thread ends under the process: the process exits (peers take over)', async () => {
    const c = await startChild();
    c.proc.stdin?.write('end-thread\n');
    assert.equal(await c.exited, 3);
  });

  it('counts what it answered, and closes cleanly', async () => {
    const c = await startChild();
    const args = ['-c', '5', '-W', '0.05', '-I', 'eth0', VIP];
    await runInNetns(NS_C, 'arping', args, { timeoutMs: 10_000, noAnswerCodes: [1] });
    c.proc.stdin?.write('close\n');
    assert.equal(await c.exited, 0);
    const counters = JSON.parse(c.lines.at(-1) ?? '{}') as { requests: number; replies: number };
    assert.equal(counters.replies, 5);
    assert.equal(counters.requests, 5);
  });

  it('the addon answers ARP requests and solicitations itself; other frames still reach JavaScript', async () => {
    const c = await startChild({}, responderChild, [VIP, VIP6]);
    try {
      const requests = ['-c', '5', '-W', '0.05', '-I', 'eth0', VIP];
      const { stdout } = await runInNetns(NS_C, 'arping', requests, { timeoutMs: 10_000, noAnswerCodes: [1] });
      assert.equal([...stdout.matchAll(/bytes from 02:00:00:00:00:11 \(/g)].length, 5, stdout);
      // ARP replies (not requests: the addon declines them) come in the same way, one wake-up each.
      const replies = ['-U', '-P', '-c', '3', '-W', '0.05', '-I', 'eth0', '-S', '192.0.2.100', '192.0.2.100'];
      await runInNetns(NS_C, 'arping', replies, { timeoutMs: 10_000, noAnswerCodes: [1] });
      for (let i = 0; i < 3; i++) {
        const ndisc = ['-1', '-r', '1', '-w', '1000', VIP6, 'eth0'];
        const { stdout: na } = await runInNetns(NS_C, 'ndisc6', ndisc, { timeoutMs: 5_000, noAnswerCodes: [2] });
        assert.match(na, /Target link-layer address: 02:00:00:00:00:11/i, na);
      }
      c.proc.stdin?.write('counts\n');
      const counts = JSON.parse(await c.line(/^\{/)) as { byJavaScript: number; afterTake: number; frames: number };
      assert.deepEqual(counts, { byJavaScript: 0, afterTake: 8, frames: 3 });
    } finally {
      c.proc.stdin?.write('close\n');
      await c.exited;
    }
  });

  it('--answer-realtime-priority: the answer thread, and only it, runs SCHED_RR', async () => {
    const c = await startChild({ LANLB_TEST_REALTIME: '3' });
    try {
      assert.equal(await c.line(/^priority /), 'priority 3 applied');
      const pid = c.proc.pid ?? 0;
      // /proc/PID/task/TID/stat: field 40 is rt_priority, 41 the policy (2: SCHED_RR).
      const threads = readdirSync(`/proc/${pid}/task`).map((tid) => {
        const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        return `${fields[37]}/${fields[38]}`;
      });
      assert.deepEqual(
        threads.filter((t) => t !== '0/0'),
        ['3/2'],
        `one thread at SCHED_RR 3, the rest normal: ${threads.join(' ')}`,
      );
      const args = ['-c', '3', '-W', '0.05', '-I', 'eth0', VIP];
      const { stdout } = await runInNetns(NS_C, 'arping', args, { timeoutMs: 10_000, noAnswerCodes: [1] });
      assert.equal([...stdout.matchAll(/bytes from 02:00:00:00:00:11 \(/g)].length, 3, stdout);
    } finally {
      c.proc.stdin?.write('close\n');
      await c.exited;
    }
  });

  it('exits with its own code while a capture is still open (no abort in the thread teardown)', async () => {
    const c = await startChild();
    c.proc.stdin?.write('exit\n');
    assert.equal(await c.exited, 0, 'exit code 0, not 134 (uv_loop_close with an open poll handle)');
    await stopProcess(c.proc, 1_000);
  });
});
