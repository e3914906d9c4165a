// Ports for test servers come from below the kernel's ephemeral range, so that no outgoing
// connection's source port takes one between the pick and the bind (kube-apiserver failed to
// start so in a CI run).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ephemeralLow, freePort } from '../../../src/devcluster/free-port.js';

describe('freePort', () => {
  it('picks ports below the ephemeral range that can be listened on', async () => {
    const low = ephemeralLow();
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      assert.ok(port >= 10_000 && port < low, `port ${port} below ${low}`);
      const srv = createServer();
      await new Promise<void>((ok, fail) => srv.once('error', fail).listen(port, '127.0.0.1', ok));
      await new Promise((r) => srv.close(r));
    }
  });
});
