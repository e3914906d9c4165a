import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergePatchOf, writeStatus } from '../../../src/runtime/status-writer.js';
import { KubeApiError } from '../../../src/runtime/ports/api-error.js';

describe('mergePatchOf', () => {
  it('sets what the desired status has and nulls what it dropped', () => {
    assert.deepEqual(mergePatchOf({ a: 1, b: 2, c: 3 }, { a: 1, b: 5 }), { a: 1, b: 5, c: null });
  });
  it('recurses into objects so a removed nested key is removed (RFC 7386)', () => {
    assert.deepEqual(
      mergePatchOf(
        { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] }, conditions: [] },
        { loadBalancer: {}, conditions: [] },
      ),
      { loadBalancer: { ingress: null }, conditions: [] },
    );
  });
  it('works from an absent status', () => {
    assert.deepEqual(mergePatchOf(undefined, { a: 1 }), { a: 1 });
  });
});

// writeStatus against a fake transport that keeps one object and counts requests: a write that
// changes nothing must send nothing, and a 409 must be retried from a fresh read.
interface Obj {
  metadata: { resourceVersion: string; generation: number };
  status?: { total?: string; observedGeneration?: number };
}

class FakeTransport {
  gets = 0;
  patches: unknown[] = [];
  /** Conflicts still to answer before a patch succeeds. */
  conflicts = 0;
  constructor(public stored: Obj) {}
  get = async <T>(): Promise<T> => {
    this.gets++;
    return structuredClone(this.stored) as T;
  };
  patch = async <T>(_path: string, body: unknown): Promise<T> => {
    this.patches.push(body);
    const rv = (body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (this.conflicts > 0 || rv !== this.stored.metadata.resourceVersion) {
      this.conflicts = Math.max(0, this.conflicts - 1);
      throw new KubeApiError(409, 'Conflict', 'the object has been modified');
    }
    const status = (body as { status: Obj['status'] }).status;
    this.stored = { metadata: { ...this.stored.metadata, resourceVersion: String(Number(rv) + 1) }, status };
    return structuredClone(this.stored) as T;
  };
}

type Status = NonNullable<Obj['status']>;
const want = (o: Obj): Status => ({ total: '4', observedGeneration: o.metadata.generation });

describe('writeStatus', () => {
  it('sends nothing when the status already is what is wanted', async () => {
    const t = new FakeTransport({
      metadata: { resourceVersion: '7', generation: 2 },
      status: { total: '4', observedGeneration: 2 },
    });
    assert.equal(await writeStatus<Status, Obj>(t, { path: '/p' }, want), 'unchanged');
    assert.deepEqual({ gets: t.gets, patches: t.patches.length }, { gets: 1, patches: 0 });
  });

  it('reads nothing when given a cached copy, and sends nothing when it is current', async () => {
    const cached: Obj = {
      metadata: { resourceVersion: '7', generation: 2 },
      status: { total: '4', observedGeneration: 2 },
    };
    const t = new FakeTransport(cached);
    assert.equal(await writeStatus<Status, Obj>(t, { path: '/p', cached }, want), 'unchanged');
    assert.deepEqual({ gets: t.gets, patches: t.patches.length }, { gets: 0, patches: 0 });
  });

  it('sends nothing when desired returns undefined', async () => {
    const t = new FakeTransport({ metadata: { resourceVersion: '7', generation: 2 } });
    assert.equal(await writeStatus<Status, Obj>(t, { path: '/p' }, () => undefined), 'unchanged');
    assert.equal(t.patches.length, 0);
  });

  it('patches once, optimistically, with the resourceVersion it read', async () => {
    const t = new FakeTransport({ metadata: { resourceVersion: '7', generation: 3 }, status: { total: '9' } });
    assert.equal(await writeStatus<Status, Obj>(t, { path: '/p' }, want), 'patched');
    assert.deepEqual(t.patches, [
      { metadata: { resourceVersion: '7' }, status: { total: '4', observedGeneration: 3 } },
    ]);
  });

  it('on 409 re-reads and recomputes from the fresh object, then succeeds', async () => {
    const stale: Obj = { metadata: { resourceVersion: '1', generation: 1 } };
    const t = new FakeTransport({ metadata: { resourceVersion: '8', generation: 5 } });
    assert.equal(await writeStatus<Status, Obj>(t, { path: '/p', cached: stale }, want), 'patched');
    assert.equal(t.gets, 1, 'one fresh read after the conflict');
    assert.equal(t.patches.length, 2);
    assert.deepEqual(t.stored.status, { total: '4', observedGeneration: 5 }, 'computed from the fresh object');
  });

  it('stops when the fresh read shows the status already written (no second patch)', async () => {
    const stale: Obj = { metadata: { resourceVersion: '1', generation: 5 } };
    const t = new FakeTransport({
      metadata: { resourceVersion: '8', generation: 5 },
      status: { total: '4', observedGeneration: 5 },
    });
    assert.equal(await writeStatus<Status, Obj>(t, { path: '/p', cached: stale }, want), 'unchanged');
    assert.equal(t.patches.length, 1);
  });

  it('gives up after `attempts` conflicts and throws the conflict', async () => {
    const t = new FakeTransport({ metadata: { resourceVersion: '8', generation: 5 } });
    t.conflicts = 10;
    await assert.rejects(
      writeStatus<Status, Obj>(t, { path: '/p', attempts: 3 }, want),
      (e: unknown) => e instanceof KubeApiError && e.statusCode === 409,
    );
    assert.equal(t.patches.length, 3);
  });

  it('does not retry other errors', async () => {
    const t = new FakeTransport({ metadata: { resourceVersion: '8', generation: 5 } });
    t.patch = async () => {
      t.patches.push('x');
      throw new KubeApiError(422, 'Invalid', 'bad');
    };
    await assert.rejects(writeStatus<Status, Obj>(t, { path: '/p' }, want), /bad/);
    assert.equal(t.patches.length, 1);
  });
});
