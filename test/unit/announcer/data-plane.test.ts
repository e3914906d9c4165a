// The data plane on fakes: the answer table it is given (addresses and refresh schedule per
// interface) and the link changes it reports back. Pure timing, no clock but the `now` passed in.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataPlane, LINK_POLL_MS, type AnswerTable } from '../../../src/announcer/data-plane.js';
import type { Link, Responder } from '../../../src/announcer/options.js';
import type { Announced } from '../../../src/l2/codec/bpf-filter.js';
import type { Logger } from '../../../src/runtime/ports/logger.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const vip = (last: number): Announced => ({ family: 4, value: BigInt(0xc0000200 + last) });

function plane(links: Link[]) {
  const sent: string[] = [];
  const set: string[] = [];
  const probes: string[] = [];
  let changes = 0;
  const dp = new DataPlane({
    links: { list: () => links.map((l) => ({ ...l })) },
    responders: (link): Responder => ({
      set: async (a) => void set.push(`${link.name}:${a.length}`),
      reannounce: (a) => sent.push(`${link.name}:${a.map((x) => x.value - 0xc0000200n).join(',')}`),
      send: (frame) => void probes.push(`${link.name}:${frame.length}:${frame[6]}`),
      close: async () => undefined,
    }),
    log: quiet,
    onFrame: () => undefined,
    onChange: () => changes++,
  });
  return { dp, sent, set, probes, changes: () => changes };
}

const link = (name: string, carrier = true): Link => ({
  name,
  mac: new Uint8Array([2, 0, 0, 0, 0, name.length]),
  up: true,
  loopback: false,
  carrier,
});

describe('data plane: the answer table and link events', () => {
  it('re-announces each Service on its interfaces at its interval, counting from when it was first published', () => {
    const { dp, sent } = plane([link('eth0'), link('eth1')]);
    dp.tick(0);
    dp.keepOpen(new Set(['eth0', 'eth1']), 0);
    const table = (): AnswerTable =>
      new Map([
        ['eth0', { addresses: [vip(1), vip(2)], refresh: [{ key: 'a/web', everyMs: 1_000, addresses: [vip(1)] }] }],
        ['eth1', { addresses: [vip(1)], refresh: [{ key: 'a/web', everyMs: 1_000, addresses: [vip(1)] }] }],
      ]);
    const counts = [0, 500, 999, 1_000, 1_500, 2_000, 2_100].map((t) => dp.publish(table(), t));
    assert.deepEqual(counts, [0, 0, 0, 1, 0, 1, 0], 'first publish announces through the capture, then every 1 s');
    assert.deepEqual(sent, ['eth0:1', 'eth1:1', 'eth0:1', 'eth1:1'], 'on every interface listing it, once each');
    dp.publish(new Map([['eth0', { addresses: [vip(2)], refresh: [] }]]), 2_200);
    assert.equal(dp.publish(table(), 2_300), 0, 'a Service that left the table counts afresh when it is back');
    assert.equal(dp.publish(table(), 3_300), 1);
  });

  it('puts each capture on the addresses the table gives its interface, in publishing order', async () => {
    const { dp, set } = plane([link('eth0')]);
    dp.tick(0);
    dp.keepOpen(new Set(['eth0']), 0);
    dp.publish(new Map([['eth0', { addresses: [vip(1), vip(2)], refresh: [] }]]), 0);
    dp.publish(new Map(), 100);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(set, ['eth0:2', 'eth0:0']);
    dp.publish(new Map([['eth0', { addresses: [vip(3)], refresh: [] }]]), 150);
    await dp.close();
    assert.deepEqual(set, ['eth0:2', 'eth0:0'], 'an update still queued when it closes is not applied');
    assert.equal(dp.publish(new Map([['eth0', { addresses: [vip(1)], refresh: [] }]]), 200), 0);
  });

  it("sends the table's probes once, on their interface, from that interface's MAC", () => {
    const { dp, probes } = plane([link('eth0'), link('eth10')]);
    dp.tick(0);
    dp.keepOpen(new Set(['eth0', 'eth10']), 0);
    dp.publish(new Map([['eth10', { addresses: [], refresh: [], probes: [vip(7)] }]]), 0);
    dp.publish(new Map([['eth10', { addresses: [], refresh: [] }]]), 100);
    // An ARP probe is a 42-byte frame whose source MAC (byte 6 on) is the interface's: 02:00:...
    assert.deepEqual(probes, ['eth10:42:2']);
  });

  it('reports a carrier change once, within one link poll, and nothing while links stay as they are', () => {
    const links = [link('eth0')];
    const { dp, changes } = plane(links);
    dp.tick(0);
    assert.equal(changes(), 1, 'the first read is a change');
    for (let t = 100; t < 2_000; t += 100) dp.tick(t);
    assert.equal(changes(), 1, 'unchanged links: no event');
    links[0] = link('eth0', false);
    for (let t = 2_000; t < 2_000 + LINK_POLL_MS; t += 100) dp.tick(t);
    dp.tick(2_000 + LINK_POLL_MS);
    assert.equal(changes(), 2, 'carrier lost: one event');
    assert.equal(dp.currentLinks()[0]?.carrier, false);
  });

  it('deafness: how long, from the tick before it was seen; a link down lasts until it is up again', () => {
    const l = link('eth0');
    const heard: number[] = [];
    const dp = new DataPlane({
      links: { list: () => [{ ...l }], read: () => ({ ...l }) },
      responders: (): Responder => ({ set: async () => undefined, reannounce() {}, send() {}, close: async () => {} }),
      log: quiet,
      onFrame: () => undefined,
      onHearing: (ms) => heard.push(ms),
    });
    dp.keepOpen(new Set(['eth0']), 0);
    for (const t of [0, 100, 200]) dp.tick(t);
    dp.tick(1_400); // paused 1.2 s: heard again at once
    assert.deepEqual(heard, [1_200]);
    l.carrier = false;
    for (const t of [1_500, 1_600, 1_700, 1_800]) dp.tick(t);
    assert.deepEqual(heard, [1_200], 'still deaf while the carrier is gone');
    l.carrier = true;
    dp.tick(1_900);
    assert.deepEqual(heard, [1_200, 500], 'from the last tick that heard (1,400) to the first that hears again');
    l.carrierChanges = 7; // the counter's first reading
    dp.tick(2_000);
    l.carrierChanges = 9; // a flap between two ticks: seen as a change of the counter
    dp.tick(2_100);
    assert.deepEqual(heard, [1_200, 500, 100], 'a flap between ticks: at most a tick');
  });

  it('a capture held by its pause guard: deaf for the gap, released only after the next table is applied', async () => {
    let held: number | undefined;
    const events: string[] = [];
    const dp = new DataPlane({
      links: { list: () => [link('eth0')] },
      responders: (): Responder => ({
        set: async (a) => void events.push(`set ${a.length}`),
        reannounce() {},
        send() {},
        close: async () => {},
        heldFor: () => [held, (held = undefined)][0],
        release: () => void events.push('release'),
      }),
      log: quiet,
      onFrame: () => undefined,
      onHearing: (ms) => void events.push(`hearing after ${ms}`),
    });
    dp.tick(0);
    dp.keepOpen(new Set(['eth0']), 0);
    for (const t of [100, 200]) dp.tick(t);
    held = 900; // the answer thread did not run for 900 ms; the main thread did
    dp.tick(300);
    dp.publish(new Map([['eth0', { addresses: [], refresh: [] }]]), 300);
    assert.deepEqual(events, ['hearing after 900'], 'deaf for the gap, nothing released before the table');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events, ['hearing after 900', 'set 0', 'release'], 'released after the table planned since');
    dp.tick(400);
    dp.publish(new Map([['eth0', { addresses: [vip(1)], refresh: [] }]]), 400);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(events.slice(3), ['set 1'], 'once per hold');
  });
});
