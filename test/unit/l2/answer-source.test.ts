// Whose answer a probe got, cell by cell (issue 26): the silent-holder probe counts only the
// holder's MACs as its life; the address-in-use check only a foreign host's as "in use".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { answerSource, type AnswerContext } from '../../../src/l2/election/answer-source.js';

const OWN = '02:00:00:00:00:01';
const HOLDER = '02:00:00:00:00:02';
const PEER = '02:00:00:00:00:03';
const FOREIGN = '02:00:00:00:00:ee';
const base = { own: new Set([OWN]), lanlb: new Set([OWN, HOLDER, PEER]) };

describe('answerSource', () => {
  const table: Array<[string, string, AnswerContext, string]> = [
    ['probe of a holder: its own MAC answers', HOLDER, { ...base, holderMacs: [HOLDER] }, 'holder'],
    ['probe of a holder: another lanlb node answers', PEER, { ...base, holderMacs: [HOLDER] }, 'lanlb'],
    ['probe of a holder: a foreign host answers', FOREIGN, { ...base, holderMacs: [HOLDER] }, 'foreign'],
    ['probe of a holder: this node answers (its own reply seen)', OWN, { ...base, holderMacs: [HOLDER] }, 'own'],
    ['probe of a holder whose Lease names no MACs: any other MAC may be its', FOREIGN, base, 'holder'],
    ['probe of a holder whose Lease names no MACs: ours is still ours', OWN, base, 'own'],
    ['address check (no holder): a lanlb node answers', PEER, { ...base, holderMacs: [] }, 'lanlb'],
    ['address check (no holder): a foreign host answers', FOREIGN, { ...base, holderMacs: [] }, 'foreign'],
    ['address check (no holder): this node answers', OWN, { ...base, holderMacs: [] }, 'own'],
    [
      'a lanlb node not heard on the wire is foreign to this node',
      PEER,
      { ...base, lanlb: new Set([OWN]), holderMacs: [] },
      'foreign',
    ],
  ];
  for (const [what, mac, context, want] of table)
    it(what, () => assert.equal(answerSource(mac, context), want, `${mac} is ${want}`));
});
