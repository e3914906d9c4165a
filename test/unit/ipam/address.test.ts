import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalAddress, formatAddress, parseAddress } from '../../../src/ipam/address.js';
import { parseCidr } from '../../../src/ipam/cidr.js';
import { parseBlock, parsePoolBlocks, totalAddresses, type BlockSpec } from '../../../src/ipam/pool-blocks.js';

describe('addresses', () => {
  const canonical: Array<[string, string | undefined]> = [
    ['192.0.2.1', '192.0.2.1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['01.2.3.4', undefined],
    ['256.1.1.1', undefined],
    ['1.2.3', undefined],
    ['1::2::3', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['fe80::1%eth0', undefined],
    // RFC 4291 2.2: '::' stands for one or more zero groups, and there are 8 groups in all.
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['1:2:3:4:5:6::8', '1:2:3:4:5:6:0:8'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['1:2:3:4:5:6:7::8', undefined],
    ['::1:2:3:4:5:6:7:8', undefined],
    ['1:2:3:4:5:6:7:8::', undefined],
    ['1:2:3:4:5:6:7', undefined],
    [':1:2:3:4:5:6:7', undefined],
    ['1:2:3:4:5:6:7:', undefined],
    ['1:::2', undefined],
    [':::', undefined],
    ['12345::', undefined],
    ['g::1', undefined],
    ['1:2:3:4:5:6:7:1.2.3.4', undefined],
    ['::1.2.3.4:5', undefined],
    ['1.2.3.4::', undefined],
    ['::ffff:1.2.3', undefined],
    ['::ffff:01.2.3.4', undefined],
    ['', undefined],
  ];
  for (const [input, want] of canonical)
    it(`${JSON.stringify(input)} -> ${want}`, () => assert.equal(canonicalAddress(input), want));

  it('round-trips every IPv4 and IPv6 value (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), (v) => parseAddress(formatAddress(4, v))?.value === v),
    );
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        (v) => parseAddress(formatAddress(6, v))?.value === v,
      ),
    );
  });
});

describe('CIDRs and blocks', () => {
  it('masks host bits like net.ParseCIDR', () => {
    const c = parseCidr('192.0.2.5/24');
    assert.equal(c && formatAddress(4, c.first), '192.0.2.0');
    assert.equal(c && formatAddress(4, c.last), '192.0.2.255');
  });

  const firstLast: Array<[string, boolean, string]> = [
    ['192.0.2.0/28', false, '14'],
    ['192.0.2.0/28', true, '16'],
    ['192.0.2.0/31', false, '2'],
    ['192.0.2.7/32', false, '1'],
    ['2001:db8::/64', false, String((1n << 64n) - 2n)],
    ['2001:db8::/127', false, '2'],
    ['2001:db8::1/128', false, '1'],
  ];
  for (const [cidr, allow, total] of firstLast) {
    it(`${cidr} with allowFirstLastIPs=${allow} hands out ${total}`, () => {
      const r = parsePoolBlocks([{ cidr }], allow);
      assert.equal(r.kind === 'ok' ? totalAddresses(r.blocks).toString() : r.message, total);
    });
  }

  it('start/stop ranges hand out every address, whatever allowFirstLastIPs says', () => {
    const r = parsePoolBlocks([{ start: '192.0.2.0', stop: '192.0.2.255' }], false);
    assert.equal(r.kind === 'ok' ? totalAddresses(r.blocks) : 0n, 256n);
  });

  const invalid: Array<[string, object, RegExp]> = [
    ['bad CIDR', { cidr: '192.0.2.0/33' }, /not a valid CIDR/],
    ['mixed families', { start: '192.0.2.1', stop: '2001:db8::1' }, /different IP families/],
    ['start after stop', { start: '192.0.2.9', stop: '192.0.2.1' }, /start is after stop/],
    ['start only', { start: '192.0.2.9' }, /needs a cidr, or both start and stop/],
    ['both forms', { cidr: '192.0.2.0/30', start: '192.0.2.1', stop: '192.0.2.2' }, /either cidr or start\/stop/],
  ];
  for (const [name, spec, re] of invalid) {
    it(`rejects ${name}`, () => {
      const r = parseBlock(spec, false);
      assert.equal(r.kind, 'invalid');
      assert.match(r.kind === 'invalid' ? r.message : '', re);
    });
  }

  it('blocks of one pool that overlap make the pool invalid, naming both', () => {
    const r = parsePoolBlocks([{ cidr: '192.0.2.0/28' }, { start: '192.0.2.10', stop: '192.0.2.20' }], false);
    assert.equal(r.kind, 'invalid');
    assert.match(r.kind === 'invalid' ? r.message : '', /192\.0\.2\.0\/28 and 192\.0\.2\.10-192\.0\.2\.20 overlap/);
  });
});

describe('absurd blocks are invalid (docs/contract.md)', () => {
  const table: Array<[BlockSpec, RegExp]> = [
    [{ cidr: '0.0.0.0/0' }, /covers the whole address family/],
    [{ cidr: '::/0' }, /covers the whole address family/],
    [{ cidr: '0.0.0.0/8' }, /unspecified/],
    [{ cidr: '127.0.0.1/32' }, /loopback/],
    [{ start: '169.254.0.1', stop: '169.254.0.9' }, /link-local/],
    [{ cidr: '224.0.0.0/4' }, /multicast/],
    [{ cidr: '240.0.0.0/4' }, /reserved/],
    [{ start: '203.0.113.250', stop: '224.0.0.1' }, /multicast/],
    [{ cidr: '::1/128' }, /loopback/],
    [{ cidr: 'fe80::/64' }, /link-local/],
    [{ cidr: 'ff02::/16' }, /multicast/],
  ];
  for (const [spec, reason] of table) {
    it(`refuses ${JSON.stringify(spec)}`, () => {
      const r = parseBlock(spec, false);
      assert.equal(r.kind, 'invalid');
      assert.match(r.kind === 'invalid' ? r.message : '', reason);
    });
  }
  for (const ok of [
    { cidr: '192.0.2.0/24' },
    { cidr: '2001:db8::/64' },
    { start: '198.18.0.1', stop: '198.19.255.254' },
  ]) {
    it(`accepts ${JSON.stringify(ok)}`, () => assert.equal(parseBlock(ok, false).kind, 'ok'));
  }
});
