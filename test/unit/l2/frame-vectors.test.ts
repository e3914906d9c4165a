// Whole frames pinned byte for byte against what the Linux kernel, arping and ndisc6 put on the
// wire, captured on a veth pair by hack/capture-l2-vectors.sh (192.0.2.0/24, 2001:db8::/64).
// Decoding our own output would hide an encoder bug that the decoder shares; comparing bytes
// does not. VLAN vectors are the captured untagged frames with an IEEE 802.1Q tag inserted
// after the source MAC (this machine's kernel has no 802.1Q module to capture them from).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRequest, encodeAnnouncements, encodeReply, type Request } from '../../../src/l2/codec/frames.js';
import { parseMac, type Mac } from '../../../src/l2/codec/mac.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const hexOf = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');
const mac = (s: string): Mac => parseMac(s) ?? assert.fail(`bad MAC ${s}`);
const MAC_A = mac('02:00:00:00:00:0a');
const MAC_B = mac('02:00:00:00:00:0b');
const V4_1 = 0xc0000201n; // 192.0.2.1
const V6_1 = 0x20010db8000000000000000000000001n; // 2001:db8::1

/** The frame with an 802.1Q tag (TPID 0x8100, PCP 0, VID `vid`) after the two MACs. */
function tagged(frame: Uint8Array, vid: number): Uint8Array {
  return new Uint8Array([...frame.subarray(0, 12), 0x81, 0x00, vid >> 8, vid & 0xff, ...frame.subarray(12)]);
}

/** Ethernet pads short frames to 60 bytes; the capture keeps the padding, our encoder adds none. */
function withoutPadding(captured: Uint8Array, length: number): Uint8Array {
  assert.ok(
    captured.subarray(length).every((b) => b === 0),
    'only zero padding follows',
  );
  return captured.subarray(0, length);
}

function request(frame: Uint8Array): Request {
  const r = decodeRequest(frame);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

// arping -I eth0 192.0.2.2 from A (padded to 60 bytes), and B's kernel's answer.
const ARPING_REQUEST = hex(
  'ffffffffffff02000000000a0806000108000604000102000000000ac0000201000000000000c0000202' + '00'.repeat(18),
);
const KERNEL_ARP_REPLY = hex('02000000000a02000000000b0806000108000604000202000000000bc000020202000000000ac0000201');
// ndisc6 2001:db8::2 eth0 from A, and B's kernel's solicited advertisement (flags S|O).
const NDISC6_SOLICITATION = hex(
  '3333ff00000202000000000a86dd600ee02900203afffe80000000000000000000fffe00000aff02000000000000000000' +
    '01ff00000287004c4d0000000020010db8000000000000000000000002010102000000000a',
);
const KERNEL_SOLICITED_NA = hex(
  '02000000000a02000000000b86dd6000000000203aff20010db8000000000000000000000002fe80000000000000000000' +
    'fffe00000a8800ba976000000020010db8000000000000000000000002020102000000000b',
);
// A adds 2001:db8::2 with DAD on: its NS from :: (with a RFC 7527 nonce option), and B's kernel
// defending the address: an NA to all nodes, Override only (RFC 4861 7.2.4: not Solicited).
const KERNEL_DAD_PROBE = hex(
  '3333ff00000202000000000a86dd6000000000203aff00000000000000000000000000000000ff02000000000000000000' +
    '01ff000002870052610000000020010db80000000000000000000000020e01cdd0fcdc21d3',
);
const KERNEL_DAD_DEFENCE = hex(
  '33330000000102000000000b86dd6000000000203aff20010db8000000000000000000000002ff02000000000000000000' +
    '00000000018800f91e2000000020010db8000000000000000000000002020102000000000b',
);
// The kernel announcing itself when A's MAC changes (arp_notify, ndisc_notify): gratuitous ARP in
// request form (RFC 5227 3: target MAC zero) and an unsolicited NA (RFC 4861 7.2.6: Override only).
const KERNEL_GARP_REQUEST = hex('ffffffffffff02000000000a0806000108000604000102000000000ac0000201000000000000c0000201');
const KERNEL_UNSOLICITED_NA = hex(
  '33330000000102000000000a86dd6000000000203aff20010db8000000000000000000000001ff02000000000000000000' +
    '00000000018800f9212000000020010db8000000000000000000000001020102000000000a',
);
// arping -U -P: gratuitous ARP in reply form, target MAC broadcast (what MetalLB sends), padded.
const ARPING_GARP_REPLY = hex(
  'ffffffffffff02000000000a0806000108000604000202000000000ac0000201ffffffffffffc0000201' + '00'.repeat(18),
);

describe('answers are byte for byte what the kernel sends', () => {
  it('ARP reply to arping', () => {
    assert.equal(hexOf(encodeReply(request(ARPING_REQUEST), MAC_B)), hexOf(KERNEL_ARP_REPLY));
  });

  it('solicited NA to ndisc6: from the target address, to the solicitor, Solicited and Override', () => {
    assert.equal(hexOf(encodeReply(request(NDISC6_SOLICITATION), MAC_B)), hexOf(KERNEL_SOLICITED_NA));
  });

  it('answer to a DAD probe: to all nodes, Override without Solicited', () => {
    const probe = request(KERNEL_DAD_PROBE);
    assert.equal(probe.family === 6 && probe.src, 0n, 'the probe comes from the unspecified address');
    assert.equal(hexOf(encodeReply(probe, MAC_B)), hexOf(KERNEL_DAD_DEFENCE));
  });
});

describe('VLAN-tagged requests get tagged answers (IEEE 802.1Q)', () => {
  for (const vid of [1, 5, 4094]) {
    it(`ARP on VLAN ${vid}`, () => {
      const req = request(tagged(ARPING_REQUEST, vid));
      assert.equal(req.vlan, vid);
      assert.equal(hexOf(encodeReply(req, MAC_B)), hexOf(tagged(KERNEL_ARP_REPLY, vid)));
    });

    it(`NDP on VLAN ${vid}`, () => {
      const req = request(tagged(NDISC6_SOLICITATION, vid));
      assert.equal(hexOf(encodeReply(req, MAC_B)), hexOf(tagged(KERNEL_SOLICITED_NA, vid)));
    });
  }
});

describe('announcements are byte for byte what the kernel and arping send', () => {
  it('gratuitous ARP, request form first, then reply form', () => {
    const [requestForm, replyForm, ...rest] = encodeAnnouncements(4, V4_1, MAC_A);
    assert.deepEqual(rest, []);
    assert.equal(hexOf(requestForm), hexOf(KERNEL_GARP_REQUEST));
    assert.equal(hexOf(replyForm), hexOf(withoutPadding(ARPING_GARP_REPLY, 42)));
  });

  it('unsolicited NA to all nodes', () => {
    const [na, ...rest] = encodeAnnouncements(6, V6_1, MAC_A);
    assert.deepEqual(rest, []);
    assert.equal(hexOf(na), hexOf(KERNEL_UNSOLICITED_NA));
  });
});
