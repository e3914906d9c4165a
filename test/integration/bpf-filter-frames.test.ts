// The responder's kernel filter compiled by libpcap (through tcpdump) and run on real frames:
// ARP, Neighbor Solicitations and Advertisements and heartbeat frames pass, other traffic does
// not. No network: the frames go through a pcap file.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPTURE_FILTER } from '../../src/l2/codec/bpf-filter.js';
import { formatMac } from '../../src/l2/codec/mac.js';
import { runProgram } from '../../src/devcluster/run-program.js';
import { FRAMES, senderMac } from '../unit/l2/request-frames.js';

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

describe('the request filter on real frames (libpcap through tcpdump)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lanlb-bpf-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes what the responder reads and nothing else', async () => {
    const file = join(dir, 'frames.pcap');
    writeFileSync(file, pcapFile(FRAMES.map((f) => f.frame)));
    const { stdout } = await runProgram('tcpdump', ['-r', file, '-nn', '-e', CAPTURE_FILTER]);
    const passed = new Set([...stdout.matchAll(/^\S+ ([0-9a-f:]{17}) >/gm)].map((m) => m[1]));
    for (const [i, f] of FRAMES.entries()) {
      assert.equal(
        passed.has(formatMac(senderMac(i + 1))),
        f.captured,
        `${f.name}: ${f.captured ? 'passed' : 'dropped'}`,
      );
    }
  });
});
