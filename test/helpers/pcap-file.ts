// A classic pcap savefile (LINKTYPE_ETHERNET) holding frames, for tcpdump and for libpcap's
// offline captures in the tests.

export function pcapFile(frames: readonly Uint8Array[]): Buffer {
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
