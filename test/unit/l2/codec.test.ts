// Frame codecs: frames captured from real tools (arping, ndisc6, the Linux kernel) pinned as
// byte vectors, round-trip properties, and a fuzz run that must never throw.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP } from '../../../src/l2/codec/ethernet.js';
import { decodeArp, encodeArp } from '../../../src/l2/codec/arp.js';
import {
  decodeNdp,
  encodeNdp,
  solicitedNodeMulticast,
  ipv6MulticastMac,
  NEIGHBOR_ADVERTISEMENT,
  NEIGHBOR_SOLICITATION,
} from '../../../src/l2/codec/ndp.js';
import { decodeRequest, encodeAnnouncements, encodeReply } from '../../../src/l2/codec/frames.js';
import { formatMac, parseMac } from '../../../src/l2/codec/mac.js';
import { parseAddress } from '../../../src/ipam/address.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const v6 = (s: string) => parseAddress(s)?.value ?? -1n;

// Captured on veth pairs in a test namespace (192.0.2.0/24, 2001:db8::/64).
const ARPING_REQUEST = hex(
  'ffffffffffff02000000000a0806000108000604000102000000000ac0' +
    '000201000000000000c000020200000000000000000000000000000000',
);
const KERNEL_ARP_REPLY = hex('02000000000a02000000000b0806000108000604000202000000000bc000020202000000000ac0000201');
const NDISC6_SOLICITATION = hex(
  '3333ff00000202000000000a86dd600ee02900203afffe80000000000000000000fffe00000aff02000000' +
    '00000000000001ff00000287004c4d0000000020010db8000000000000000000000002010102000000000a',
);
const KERNEL_ADVERTISEMENT = hex(
  '02000000000a02000000000b86dd6000000000203aff20010db8000000000000000000000002fe80000000' +
    '000000000000fffe00000a8800ba976000000020010db8000000000000000000000002020102000000000b',
);

describe('codec byte vectors', () => {
  it("decodes arping's request (with trailing padding)", () => {
    const r = decodeRequest(ARPING_REQUEST);
    assert.ok(r.ok, 'decodes');
    assert.equal(r.value.family, 4);
    assert.equal(r.value.target, 0xc0000202n);
    assert.equal(r.value.family === 4 && formatMac(r.value.senderMac), '02:00:00:00:00:0a');
  });

  it('our reply to that request is byte-for-byte what the Linux kernel sends', () => {
    const r = decodeRequest(ARPING_REQUEST);
    assert.ok(r.ok, 'decodes');
    const mac = parseMac('02:00:00:00:00:0b');
    assert.ok(mac, 'has a MAC');
    assert.deepEqual(
      Buffer.from(encodeReply(r.value, mac)).toString('hex'),
      Buffer.from(KERNEL_ARP_REPLY).toString('hex'),
    );
  });

  it("decodes ndisc6's solicitation: target, source link-layer option, solicited-node destination", () => {
    const r = decodeRequest(NDISC6_SOLICITATION);
    assert.ok(r.ok, 'decodes');
    assert.equal(r.value.target, v6('2001:db8::2'));
    assert.equal(r.value.family === 6 && formatMac(r.value.replyMac), '02:00:00:00:00:0a');
    const eth = decodeEthernet(NDISC6_SOLICITATION);
    assert.ok(eth.ok, 'the Ethernet header decodes');
    assert.deepEqual(eth.value.dst, ipv6MulticastMac(solicitedNodeMulticast(v6('2001:db8::2'))));
  });

  it("our advertisement matches the kernel's, flags and checksum included", () => {
    const r = decodeRequest(NDISC6_SOLICITATION);
    assert.ok(r.ok, 'decodes');
    const ours = encodeReply(r.value, parseMac('02:00:00:00:00:0b') as Uint8Array);
    const kernel = decodeEthernet(KERNEL_ADVERTISEMENT);
    const mine = decodeEthernet(ours);
    assert.ok(kernel.ok && mine.ok, 'both the kernel`s and our frame decode');
    const k = decodeNdp(kernel.value.payload);
    const m = decodeNdp(mine.value.payload);
    assert.ok(k.ok && m.ok, 'both decode');
    // The kernel answers from the target address like we do; it sets Solicited and Override.
    assert.deepEqual({ ...m.value.message }, { ...k.value.message });
    assert.equal(m.value.dst, k.value.dst);
    assert.equal(formatMac(mine.value.dst), formatMac(kernel.value.dst));
  });

  it('gratuitous ARP comes in request and reply form; IPv6 announcements go to all nodes with Override', () => {
    const mac = parseMac('02:00:00:00:00:0b') as Uint8Array;
    const [req, rep] = encodeAnnouncements(4, 0xc0000263n, mac);
    for (const f of [req, rep]) {
      const e = decodeEthernet(f as Uint8Array);
      assert.ok(e.ok && e.value.etherType === ETHERTYPE_ARP, 'an ARP frame');
      assert.equal(formatMac(e.value.dst), 'ff:ff:ff:ff:ff:ff');
      const a = decodeArp(e.value.payload);
      assert.ok(
        a.ok && a.value.senderIP === a.value.targetIP && a.value.senderIP === 0xc0000263,
        'a gratuitous ARP for 192.0.2.99',
      );
    }
    const [na] = encodeAnnouncements(6, v6('2001:db8::63'), mac);
    const e = decodeEthernet(na as Uint8Array);
    assert.ok(e.ok, 'the Ethernet header decodes');
    assert.equal(formatMac(e.value.dst), '33:33:00:00:00:01');
    const n = decodeNdp(e.value.payload);
    assert.ok(
      n.ok && n.value.message.type === NEIGHBOR_ADVERTISEMENT && n.value.message.override && !n.value.message.solicited,
      'an unsolicited Neighbor Advertisement with Override',
    );
  });
});

describe('codec errors are typed, never thrown', () => {
  const table: Array<[string, Uint8Array, string, RegExp]> = [
    ['an empty buffer', new Uint8Array(), 'truncated', /ethernet/],
    ['an ARP cut short', ARPING_REQUEST.slice(0, 30), 'truncated', /arp/],
    [
      'an NS with a bad checksum',
      (() => {
        const b = NDISC6_SOLICITATION.slice();
        b[57] = (b[57] ?? 0) ^ 0xff;
        return b;
      })(),
      'invalid',
      /checksum/,
    ],
    [
      'an NS with hop limit 64',
      (() => {
        const b = NDISC6_SOLICITATION.slice();
        b[21] = 64;
        return b;
      })(),
      'invalid',
      /hop limit/,
    ],
    [
      'an NS with a zero-length option',
      (() => {
        const b = NDISC6_SOLICITATION.slice();
        b[79] = 0;
        return b;
      })(),
      'invalid',
      /checksum|length 0/,
    ],
    ['an IPv4 frame', hex('ffffffffffff02000000000a08004500'), 'unsupported', /EtherType 0x800/],
  ];
  for (const [name, bytes, kind, re] of table) {
    it(name, () => {
      const r = decodeRequest(bytes);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.error.kind, kind);
      assert.match(!r.ok ? r.error.message : '', re);
    });
  }
});

describe('codec round trips (property)', () => {
  const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
  it('ARP', () =>
    fc.assert(
      fc.property(
        fc.constantFrom(1 as const, 2 as const),
        mac,
        fc.nat(0xffffffff),
        mac,
        fc.nat(0xffffffff),
        (operation, senderMac, senderIP, targetMac, targetIP) => {
          const p = { operation, senderMac, senderIP, targetMac, targetIP };
          const d = decodeArp(encodeArp(p));
          assert.ok(d.ok, 'decodes');
          assert.deepEqual(d.value, p);
        },
      ),
    ));

  it('Ethernet with and without a VLAN tag', () =>
    fc.assert(
      fc.property(
        mac,
        mac,
        fc.integer({ min: 0x600, max: 0xffff }).filter((t) => t !== 0x8100),
        fc.option(fc.nat(4095), { nil: undefined }),
        fc.uint8Array({ maxLength: 64 }),
        (dst, src, etherType, vlan, payload) => {
          const d = decodeEthernet(encodeEthernet({ dst, src, etherType, vlan, payload }));
          assert.ok(d.ok, 'decodes');
          assert.deepEqual(
            { ...d.value, payload: [...d.value.payload] },
            { dst, src, etherType, vlan, payload: [...payload] },
          );
        },
      ),
    ));

  it('NS and NA', () =>
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        fc.option(mac, { nil: undefined }),
        fc.boolean(),
        fc.boolean(),
        (src, dst, target, ll, solicited, override) => {
          for (const message of [
            { type: NEIGHBOR_SOLICITATION as typeof NEIGHBOR_SOLICITATION, target, sourceLinkLayer: ll },
            {
              type: NEIGHBOR_ADVERTISEMENT as typeof NEIGHBOR_ADVERTISEMENT,
              router: false,
              solicited,
              override,
              target,
              targetLinkLayer: ll,
            },
          ]) {
            const d = decodeNdp(encodeNdp({ src, dst, hopLimit: 255, message }));
            assert.ok(d.ok, !d.ok ? d.error.message : '');
            assert.deepEqual(d.value, { src, dst, hopLimit: 255, message });
          }
        },
      ),
    ));
});

describe('codec fuzz', () => {
  it('never throws on random or mutated frames (20,000 inputs)', () => {
    const seeds = [ARPING_REQUEST, KERNEL_ARP_REPLY, NDISC6_SOLICITATION, KERNEL_ADVERTISEMENT];
    const mutated = fc
      .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 8 }), fc.nat())
      .map(([seed, flips, cut]) => {
        const b = seed.slice(0, seed.length - (cut % 8));
        for (const [at, v] of flips) if (b.length) b[at % b.length] = v;
        return b;
      });
    let decoded = 0;
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), mutated), (frame) => {
        const r = decodeRequest(frame);
        if (r.ok) {
          decoded++;
          encodeReply(r.value, new Uint8Array(6)); // whatever decodes can be answered
        }
      }),
      { numRuns: 20_000 },
    );
    assert.ok(decoded > 0, 'the mutations keep some frames valid');
  });
});
