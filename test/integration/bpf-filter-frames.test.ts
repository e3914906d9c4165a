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
import { pcapFile } from '../helpers/pcap-file.js';

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
