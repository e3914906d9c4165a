// A watchdog for tests that call native code (the pcap addon): a bug in C can loop forever, and
// a loop in C holds the event loop, so the test runner's timeout never fires and the run ends,
// much later, as a file-level timeout that names no test (issue 26). A worker thread (which C on
// the main thread does not block) prints the test's name and kills the process when a test runs
// past its bound: the failure comes in seconds and says which test.
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach } from 'node:test';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const generation = new Int32Array(workerData);
parentPort.on('message', ({ name, gen, ms }) => {
  setTimeout(() => {
    if (Atomics.load(generation, 0) !== gen) return;
    const line = 'native watchdog: test "' + name + '" did not finish within ' + ms + ' ms (native code looping?)\\n';
    require('node:fs').writeSync(1, line);
    process.kill(process.pid, 'SIGKILL');
  }, ms);
});
`;

/** Arms the watchdog around every test of the file that calls it: each must end within `ms`. */
export function nativeWatchdog(ms = 10_000): void {
  const shared = new SharedArrayBuffer(4);
  const generation = new Int32Array(shared);
  const worker = new Worker(WORKER, { eval: true, workerData: shared });
  worker.unref();
  beforeEach((t) => {
    const gen = Atomics.add(generation, 0, 1) + 1;
    worker.postMessage({ name: t.name, gen, ms });
  });
  afterEach(() => {
    Atomics.add(generation, 0, 1);
  });
}
