// The heartbeat key's Secret is read at start and every 30 s, and at once when heartbeat frames
// fail authentication (a rotation some nodes have read and others not). Found by the 30-minute L2
// chaos run: a key rotated just before an apiserver freeze, a node that ran through it kept the
// old key 30 s past the thaw, and the restarted nodes, on the new key, could not hear it die.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SecretKeySource, SUSPECT_GAP_MS } from '../../../src/kube/secret-key-source.js';
import { WirePeers } from '../../../src/l2/election/wire-peers.js';
import { DEFAULT_WIRE_TIMINGS } from '../../../src/l2/election/wire-liveness.js';
import { encodeHeartbeat } from '../../../src/l2/codec/heartbeat.js';
import { createLogger } from '../../../src/observability/logger.js';

const OLD = Buffer.alloc(32, 1);
const NEW = Buffer.alloc(32, 2);

/** The Secret's key as the apiserver serves it; `down` makes every read fail. */
function apiserver() {
  const s = { key: OLD as Buffer, down: false, reads: [] as number[], now: 0 };
  const http = {
    get: async <T>(): Promise<T> => {
      s.reads.push(s.now);
      if (s.down) throw new Error('apiserver did not answer a ping in 15 s');
      return { data: { secretkey: s.key.toString('base64') } } as T;
    },
  };
  const keys = new SecretKeySource(http, 'lanlb-system', createLogger('error'), 30_000, () => s.now);
  return { s, keys };
}

/** Lets the reads asked for settle (they are promises, no timers). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function started(keys: SecretKeySource): Promise<void> {
  const stop = new AbortController();
  await keys.start(stop.signal);
  stop.abort(); // the 30-s refresh timer is the real clock's; these tests drive reads by suspect()
}

describe('SecretKeySource: the heartbeat key', () => {
  it('frames that fail authentication make it read a rotated key at once', async () => {
    const { s, keys } = apiserver();
    await started(keys);
    assert.deepEqual(keys.current(), OLD);
    s.key = NEW;
    s.now = 1_000;
    keys.suspect();
    await settle();
    assert.deepEqual(keys.current(), NEW, 'the new key, not 30 s later');
  });

  it('frames forged under another key: reads 5 s apart at least, doubling to 5 minutes', async () => {
    const { s, keys } = apiserver();
    await started(keys);
    s.reads.length = 0;
    for (s.now = 0; s.now <= 30 * 60_000; s.now += 100) {
      keys.suspect();
      await settle();
    }
    const gaps = s.reads.slice(1).map((at, i) => at - (s.reads[i] ?? 0));
    assert.equal(gaps[0], SUSPECT_GAP_MS.min);
    for (let i = 1; i < gaps.length; i++) assert.ok((gaps[i] ?? 0) >= (gaps[i - 1] ?? 0), `gaps ${gaps.join(', ')}`);
    assert.equal(Math.max(...gaps), SUSPECT_GAP_MS.max);
    assert.ok(s.reads.length <= 13, `${s.reads.length} reads in 30 minutes`);
  });

  it('failed reads (an apiserver outage) keep the least gap: read within 5 s of its return', async () => {
    const { s, keys } = apiserver();
    await started(keys);
    s.reads.length = 0;
    s.down = true;
    s.key = NEW;
    for (s.now = 0; s.now < 60_000; s.now += 100) {
      keys.suspect();
      await settle();
    }
    assert.equal(s.reads.length, 12, 'every 5 s during the outage');
    assert.deepEqual(keys.current(), OLD, 'the last key kept');
    s.down = false;
    const back = s.now;
    while (s.now < back + 10_000 && OLD.equals(keys.current() ?? NEW)) {
      s.now += 100;
      keys.suspect();
      await settle();
    }
    assert.deepEqual(keys.current(), NEW);
    assert.ok(s.now - back <= SUSPECT_GAP_MS.min, `read ${s.now - back} ms after the apiserver returned`);
  });

  it('a heartbeat frame signed with another key asks for a read; an authentic one does not', () => {
    let asked = 0;
    const peers = new WirePeers({
      node: 'node1',
      incarnation: 1,
      keys: { current: () => OLD, suspect: () => asked++ },
      timings: DEFAULT_WIRE_TIMINGS,
      count: () => undefined,
    });
    const src = Uint8Array.from([2, 0, 0, 0, 0, 2]);
    const frame = (key: Buffer, sequence: number) =>
      encodeHeartbeat({ node: 'node2', incarnation: 1, sequence, intervalMs: 100 }, src, key);
    assert.equal(peers.captured(frame(OLD, 1), 0).kind, 'heartbeat');
    assert.equal(asked, 0);
    assert.equal(peers.captured(frame(NEW, 2), 100).kind, 'other');
    assert.equal(asked, 1);
  });
});
