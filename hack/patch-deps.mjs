// postinstall: two dependencies patched in place, each for a reason measured, each edit an exact
// text that must occur once (else the install fails, naming the file), each file marked so that a
// second run leaves it alone.
//
// node_pcap 3.1.0: release a capture when it is closed (the addon is rebuilt). Unpatched, close()
// only sets pcap_breakloop; the handle is released by the next dispatch that sees the break, which
// on an idle interface never comes (a non-blocking read of an empty ring returns 0 without looking
// at the break). Even then the uv_poll handle is stopped and unref'd but never uv_close()d. On the
// main thread that leaks a handle; in a worker thread (the announcer answers ARP/NDP in one:
// src/l2/responder/answer-thread.ts) the worker's teardown finds the handle open and aborts the
// whole process (node::CheckedUvLoopClose, exit 134). Patched: close() outside a dispatch releases
// the capture at once, a dispatch after that returns 0, the poll handle is uv_close()d, and a
// capture still open when its thread stops is released by the environment's cleanup.
//
// @kubernetes/client-node 1.4.0: dist/config.js (KubeConfig) imports two names from gen/index.js,
// which loads every generated API and model (about 900 modules): 97 MiB RSS for KubeConfig and
// Watch against 60 MiB when config.js imports the two modules those names live in (measured with
// node --optimize-for-size, bare node 39 MiB). lanlb imports KubeConfig and Watch by those paths
// (src/kube/client-node.ts), so its processes never load the generated APIs.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import process from 'node:process';

const MARK = 'lanlb: hack/patch-deps.mjs';
const C = `// ${MARK}`;

const PCAP = [
  [
    'pcap_session.h',
    '    bool poll_init = false;\n',
    `    bool poll_init = false;\n    bool dispatching = false; ${C}\n`,
  ],
  [
    'pcap_session.cc',
    '    int packet_count;\n    do {\n',
    `    if (session->pcap_handle == NULL) { ${C}: closed\n` +
      '        info.GetReturnValue().Set(Nan::New<Integer>(0));\n        return;\n    }\n' +
      '    int packet_count;\n    session->dispatching = true;\n    do {\n',
  ],
  [
    'pcap_session.cc',
    '    } while (packet_count > 0);\n',
    '    } while (packet_count > 0);\n    session->dispatching = false;\n',
  ],
  [
    'pcap_session.cc',
    '        pcap_breakloop(session->pcap_handle);\n',
    `        pcap_breakloop(session->pcap_handle);\n        if (!session->dispatching) FinalizeClose(session); ${C}\n`,
  ],
  [
    'pcap_session.cc',
    '        uv_unref((uv_handle_t*) &session->poll_handle);\n',
    `        uv_close((uv_handle_t*) &session->poll_handle, NULL); ${C}\n` +
      '        node::RemoveEnvironmentCleanupHook(v8::Isolate::GetCurrent(), CleanupHook, session);\n',
  ],
  // A capture still open when its thread stops (process.exit, worker.terminate) is released by
  // the environment's cleanup, before the thread's loop is closed.
  [
    'pcap_session.h',
    '    static void FinalizeClose(PcapSession *session);\n',
    `    static void FinalizeClose(PcapSession *session);\n    static void CleanupHook(void *arg); ${C}\n`,
  ],
  [
    'pcap_session.cc',
    '    session->poll_init = true;\n',
    `    session->poll_init = true;\n` +
      `    node::AddEnvironmentCleanupHook(info.GetIsolate(), CleanupHook, session); ${C}\n`,
  ],
  [
    'pcap_session.cc',
    'void PcapSession::FinalizeClose(PcapSession * session) {\n',
    `void PcapSession::CleanupHook(void *arg) { ${C}\n` +
      '    PcapSession* session = static_cast<PcapSession*>(arg);\n' +
      '    if (!session->poll_init) return;\n' +
      '    uv_poll_stop(&session->poll_handle);\n' +
      '    uv_close((uv_handle_t*) &session->poll_handle, NULL);\n' +
      '    session->poll_init = false;\n' +
      '    if (session->pcap_handle != NULL) pcap_close(session->pcap_handle);\n' +
      '    session->pcap_handle = NULL;\n' +
      '}\n\n' +
      'void PcapSession::FinalizeClose(PcapSession * session) {\n',
  ],
];

const CLIENT_NODE = [
  [
    'dist/config.js',
    "import { createConfiguration, ServerConfiguration, } from './gen/index.js';\n",
    `import { createConfiguration } from './gen/configuration.js'; ${C}\n` +
      "import { ServerConfiguration } from './gen/servers.js';\n",
  ],
];

/**
 * Applies `edits` ([file, exact text, replacement]) to package `pkg` unless already marked;
 * true when it changed something.
 */
function patch(pkg, edits) {
  const dir = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  const files = [...new Set(edits.map(([f]) => f))];
  const sources = new Map(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
  if ([...sources.values()].some((s) => s.includes(MARK))) return undefined;
  for (const [file, before, after] of edits) {
    const source = sources.get(file);
    if (source.split(before).length !== 2) {
      process.stderr.write(
        `patch-deps: ${join(dir, file)} is not ${pkg}'s expected version (no single ${JSON.stringify(before)})\n`,
      );
      process.exit(1);
    }
    sources.set(file, source.replace(before, after));
  }
  for (const [file, source] of sources) writeFileSync(join(dir, file), source);
  return dir;
}

const pcap = patch('pcap', PCAP);
if (pcap) {
  // The directory holding node_modules/pcap; npm rebuilds with its own node-gyp and whatever
  // npm_config_nodedir the install was given (hack/build-image.sh builds for the image's Node).
  execFileSync('npm', ['rebuild', 'pcap', '--ignore-scripts=false'], { cwd: dirname(dirname(pcap)), stdio: 'inherit' });
  process.stdout.write('patch-deps: node_pcap releases a capture on close (addon rebuilt)\n');
}
if (patch('@kubernetes/client-node', CLIENT_NODE)) {
  process.stdout.write("patch-deps: client-node's KubeConfig no longer loads the generated APIs\n");
}
