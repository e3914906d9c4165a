// Heartbeat frames (docs/contract.md: EtherType 0x88B5, HMAC-SHA256): the layout pinned byte for byte, and
// every way a frame can be refused: another key, a changed byte, another sender MAC, garbage.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { decodeHeartbeat, encodeHeartbeat } from '../../../src/l2/codec/heartbeat.js';
import { decodeAnswer, encodeProbe } from '../../../src/l2/codec/probe.js';
import { replyFor } from '../../../src/l2/codec/frames.js';

const key = Buffer.from('k'.repeat(32));
const mac = Uint8Array.from([2, 0, 0, 0, 0, 1]);
const hb = { node: 'node1', incarnation: 1_700_000_000_000, sequence: 42, intervalMs: 100 };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('heartbeat frames', () => {
  it('are laid out as documented: broadcast, 0x88B5, "LNLB", version, name, numbers, HMAC', () => {
    const f = encodeHeartbeat(hb, mac, key);
    const signed =
      '4c4e4c42' +
      '01' +
      '05' +
      Buffer.from('node1').toString('hex') +
      '0000018bcfe56800' +
      '000000000000002a' +
      '00000064';
    const hmac = createHmac('sha256', key).update(mac).update(Buffer.from(signed, 'hex')).digest('hex');
    assert.equal(hex(f), 'ffffffffffff' + '020000000001' + '88b5' + signed + hmac);
  });

  it('decode what they encode, with the sender MAC', () => {
    const d = decodeHeartbeat(encodeHeartbeat(hb, mac, key), key);
    assert.ok(d.ok, 'the heartbeat decodes');
    assert.deepEqual(d.value.heartbeat, hb);
    assert.deepEqual([...d.value.src], [...mac]);
  });

  it('are refused under another key', () => {
    const d = decodeHeartbeat(encodeHeartbeat(hb, mac, key), Buffer.from('x'.repeat(32)));
    assert.equal(!d.ok && d.error.kind, 'unauthenticated');
  });

  it('are refused when any byte after the EtherType is changed, or sent from another MAC', () => {
    const f = encodeHeartbeat(hb, mac, key);
    for (let i = 6; i < f.length; i++) {
      if (i === 12 || i === 13) continue; // the EtherType: then it is no heartbeat at all
      const g = Uint8Array.from(f);
      g[i] = (g[i] ?? 0) ^ 0x01;
      assert.equal(decodeHeartbeat(g, key).ok, false, `byte ${i} changed`);
    }
  });

  it('never throw on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        const withType = Uint8Array.from(b);
        if (withType.length > 13) [withType[12], withType[13]] = [0x88, 0xb5];
        assert.equal(decodeHeartbeat(withType, key).ok, false);
      }),
    );
  });

  it('refuse a node name that is empty or longer than a DNS subdomain', () => {
    assert.throws(() => encodeHeartbeat({ ...hb, node: '' }, mac, key), RangeError);
    assert.throws(() => encodeHeartbeat({ ...hb, node: 'a'.repeat(254) }, mac, key), RangeError);
  });
});

describe('probes', () => {
  const holder = Uint8Array.from([2, 0, 0, 0, 0, 9]);
  it('an ARP probe (sender 0.0.0.0) is answered by a responder, and the answer names its MAC', () => {
    const vip = 0xc00002c8n; // 192.0.2.200
    const probe = encodeProbe(4, vip, mac);
    assert.equal(hex(probe.subarray(28, 32)), '00000000', 'sender IP 0.0.0.0 (RFC 5227)');
    const r = replyFor(probe, (f, v) => f === 4 && v === vip, holder);
    assert.equal(r.kind, 'reply');
    const a = r.kind === 'reply' ? decodeAnswer(r.frame) : undefined;
    assert.deepEqual(a && { ...a, mac: [...a.mac] }, { family: 4, address: vip, mac: [...holder] });
  });

  it('a DAD probe (NS from ::, no source link-layer option) is answered to all nodes, naming the MAC', () => {
    const vip = (0x20010db8n << 96n) | 0x10n;
    const probe = encodeProbe(6, vip, mac);
    const r = replyFor(probe, (f, v) => f === 6 && v === vip, holder);
    assert.equal(r.kind, 'reply');
    const a = r.kind === 'reply' ? decodeAnswer(r.frame) : undefined;
    assert.deepEqual(a && { ...a, mac: [...a.mac] }, { family: 6, address: vip, mac: [...holder] });
    if (r.kind === 'reply') assert.equal(hex(r.frame.subarray(0, 6)), '333300000001', 'to all nodes');
  });

  it('a request is no answer', () => {
    assert.equal(decodeAnswer(encodeProbe(4, 1n, mac)), undefined);
  });
});
