// responderFilter compiled by libpcap (through tcpdump) and run on real frames: it must pass a
// request for an announced address and nothing else (another target, a reply, a request *from*
// the address, an advertisement). No network: the frames go through a pcap file.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { responderFilter } from '../../src/l2/codec/bpf-filter.js';
import { encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from '../../src/l2/codec/ethernet.js';
import { encodeArp, ARP_REPLY, ARP_REQUEST } from '../../src/l2/codec/arp.js';
import { encodeNdp, NEIGHBOR_ADVERTISEMENT, NEIGHBOR_SOLICITATION } from '../../src/l2/codec/ndp.js';
import { BROADCAST, ZERO_MAC, formatMac, type Mac } from '../../src/l2/codec/mac.js';
import { runProgram } from '../../src/devcluster/run-program.js';

const ANNOUNCED_V4 = 0xc0000263; // 192.0.2.99
const OTHER_V4 = 0xc0000201; // 192.0.2.1
const ANNOUNCED_V6 = 0x20010db8000000000000000000000063n;
const OTHER_V6 = 0x20010db8000000000000000000000001n;
const CLIENT_V6 = 0xfe8000000000000000000000000000c0n;

/** Each frame comes from its own MAC, so tcpdump -e tells which ones the filter passed. */
const from = (i: number): Mac => Uint8Array.from([2, 0, 0, 0, 0xf0, i]);

function arp(i: number, operation: 1 | 2, senderIP: number, targetIP: number): Uint8Array {
  const payload = encodeArp({ operation, senderMac: from(i), senderIP, targetMac: ZERO_MAC, targetIP });
  return encodeEthernet({ dst: BROADCAST, src: from(i), etherType: ETHERTYPE_ARP, payload });
}

function ndp(i: number, type: 135 | 136, target: bigint): Uint8Array {
  const message =
    type === NEIGHBOR_SOLICITATION
      ? { type, target, sourceLinkLayer: from(i) }
      : { type, router: false, solicited: false, override: true, target, targetLinkLayer: from(i) };
  const payload = encodeNdp({ src: CLIENT_V6, dst: target, hopLimit: 255, message });
  return encodeEthernet({ dst: BROADCAST, src: from(i), etherType: ETHERTYPE_IPV6, payload });
}

const FRAMES: Array<{ name: string; frame: Uint8Array; pass: boolean }> = [
  { name: 'ARP request for the announced address', frame: arp(1, ARP_REQUEST, OTHER_V4, ANNOUNCED_V4), pass: true },
  { name: 'ARP request for another address', frame: arp(2, ARP_REQUEST, OTHER_V4, OTHER_V4 + 1), pass: false },
  { name: 'ARP reply about the announced address', frame: arp(3, ARP_REPLY, ANNOUNCED_V4, OTHER_V4), pass: false },
  { name: 'ARP request from the announced address', frame: arp(4, ARP_REQUEST, ANNOUNCED_V4, OTHER_V4), pass: false },
  { name: 'NS for the announced address', frame: ndp(5, NEIGHBOR_SOLICITATION, ANNOUNCED_V6), pass: true },
  { name: 'NS for another address', frame: ndp(6, NEIGHBOR_SOLICITATION, OTHER_V6), pass: false },
  { name: 'NA for the announced address', frame: ndp(7, NEIGHBOR_ADVERTISEMENT, ANNOUNCED_V6), pass: false },
];

/** A classic pcap file (LINKTYPE_ETHERNET) holding `frames`. */
function pcapFile(frames: readonly Uint8Array[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const records = frames.map((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(i + 1, 0);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  return Buffer.concat([header, ...records]);
}

describe('responderFilter on real frames (libpcap through tcpdump)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lanlb-bpf-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes exactly the requests for announced addresses', async () => {
    const file = join(dir, 'frames.pcap');
    writeFileSync(file, pcapFile(FRAMES.map((f) => f.frame)));
    const filter = responderFilter([
      { family: 4, value: BigInt(ANNOUNCED_V4) },
      { family: 6, value: ANNOUNCED_V6 },
    ]);
    assert.ok(filter);
    const { stdout } = await runProgram('tcpdump', ['-r', file, '-nn', '-e', filter]);
    const passed = new Set([...stdout.matchAll(/^\S+ ([0-9a-f:]{17}) >/gm)].map((m) => m[1]));
    for (const [i, f] of FRAMES.entries()) {
      assert.equal(passed.has(formatMac(from(i + 1))), f.pass, `${f.name}: ${f.pass ? 'passed' : 'dropped'}`);
    }
  });
});
