import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../../src/cli/duration.js';
import { UsageError } from '../../../src/cli/process-flags.js';

describe('parseDuration', () => {
  const table: Array<[string, number]> = [
    ['500ms', 500],
    ['2s', 2000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['1h', 3_600_000],
  ];
  for (const [text, ms] of table) it(`${text} = ${ms} ms`, () => assert.equal(parseDuration(text, '--x'), ms));
  for (const bad of ['', '5', 's', '5 s', '2x', '1s!'])
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseDuration(bad, '--x'), UsageError));
});
