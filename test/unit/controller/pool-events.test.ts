// What `kubectl describe pool` tells: an Event for each change of a pool's state, none for a
// repeated status or a restart.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { poolEvents, stateOfStatus, type PoolState } from '../../../src/reconcile/pool-status.js';

const s = (reason: string, exhausted = false, message = 'm'): PoolState => ({ reason, message, exhausted });
const told = (before: PoolState | undefined, after: PoolState) =>
  poolEvents(before, after).map((e) => `${e.type} ${e.reason}`);

describe('poolEvents', () => {
  const table: Array<[string, PoolState | undefined, PoolState, string[]]> = [
    ['a new valid pool: nothing to tell', undefined, s('Ready'), []],
    ['a new pool that conflicts', undefined, s('Conflicting'), ['Warning Conflicting']],
    ['the conflict heals', s('Conflicting'), s('Ready'), ['Normal ConflictResolved']],
    ['blocks made invalid', s('Ready'), s('InvalidBlocks'), ['Warning InvalidBlocks']],
    ['fixed again', s('InvalidBlocks'), s('Ready'), ['Normal Valid']],
    ['disabled and enabled', s('Ready'), s('Disabled'), ['Normal Disabled']],
    ['enabled', s('Disabled'), s('Ready'), ['Normal Enabled']],
    ['the last address handed out', s('Ready'), s('Ready', true), ['Warning PoolExhausted']],
    ['an address back', s('Ready', true), s('Ready'), ['Normal AddressesAvailable']],
    ['the same state again (a repeated write, a restart)', s('Ready', true), s('Ready', true), []],
  ];
  for (const [name, before, after, want] of table) it(name, () => assert.deepEqual(told(before, after), want));

  it('the state before is read from the status the pool shows, so a restart tells nothing new', () => {
    const status = {
      total: '1',
      used: '1',
      available: '0',
      conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: '0 of 1 addresses available' }],
    };
    const before = stateOfStatus(status as never);
    assert.deepEqual(before, { reason: 'Ready', message: '0 of 1 addresses available', exhausted: true });
    assert.deepEqual(told(before, s('Ready', true)), []);
  });
});
