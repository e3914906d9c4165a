// postinstall: two dependencies patched in place, each for a reason measured, each edit an exact
// text that must occur once (else the install fails, naming the file). A stamp in the package
// (.lanlb-patched, a hash of the edits and added files) makes a second run leave it alone, and a
// changed patch re-apply itself to the pristine files it kept (FILE.lanlb-orig).
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
// Added: the native answer (hack/pcap/: an untagged ARP request or Neighbor Solicitation for an
// announced address is answered in the addon's poll callback, without entering JavaScript;
// lanlb_answer.h says why).
//
// @kubernetes/client-node 1.4.0: dist/config.js (KubeConfig) imports two names from gen/index.js,
// which loads every generated API and model (about 900 modules): 97 MiB RSS for KubeConfig and
// Watch against 60 MiB when config.js imports the two modules those names live in (measured with
// node --optimize-for-size, bare node 39 MiB). lanlb imports KubeConfig and Watch by those paths
// (src/kube/client-node.ts), so its processes never load the generated APIs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import process from 'node:process';

const MARK = 'lanlb: hack/patch-deps.mjs';
const C = `// ${MARK}`;
const HACK = dirname(fileURLToPath(import.meta.url));

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
  // The poll handle lives inside the session: the JavaScript object is held (Ref) until libuv
  // has closed the handle, so that a collection cannot free it first.
  [
    'pcap_session.cc',
    '        uv_unref((uv_handle_t*) &session->poll_handle);\n',
    `        session->Ref(); ${C}\n` +
      '        uv_close((uv_handle_t*) &session->poll_handle, PollClosed);\n' +
      '        node::RemoveEnvironmentCleanupHook(v8::Isolate::GetCurrent(), CleanupHook, session);\n',
  ],
  // A capture still open when its thread stops (process.exit, worker.terminate) is released by
  // the environment's cleanup, before the thread's loop is closed.
  [
    'pcap_session.h',
    '    static void FinalizeClose(PcapSession *session);\n',
    `    static void FinalizeClose(PcapSession *session);\n    static void CleanupHook(void *arg); ${C}\n` +
      '    static void PollClosed(uv_handle_t *handle);\n',
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
    `void PcapSession::PollClosed(uv_handle_t *handle) { ${C}\n` +
      '    static_cast<PcapSession*>(handle->data)->Unref();\n' +
      '}\n\n' +
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

// The native answer (hack/pcap/lanlb_answer.h says why): the poll callback answers in C
// what it can and enters JavaScript only for a frame it cannot answer, which it keeps for the
// dispatch that JavaScript then makes.
const PCAP_ANSWER = [
  ['pcap_session.h', '#include <pcap/pcap.h>\n', `#include <pcap/pcap.h>\n#include "lanlb_answer.h" ${C}\n`],
  [
    'pcap_session.h',
    '    static void poll_handler(uv_poll_t* handle, int status, int events);\n',
    '    static void poll_handler(uv_poll_t* handle, int status, int events);\n' +
      `    static void SetAnswers(const Nan::FunctionCallbackInfo<v8::Value>& info); ${C}\n` +
      '    static void TakeAnswerCounts(const Nan::FunctionCallbackInfo<v8::Value>& info);\n' +
      '    static void AnswerTiming(const Nan::FunctionCallbackInfo<v8::Value>& info);\n' +
      '    static void AnswerOrDeliver(u_char *s, const struct pcap_pkthdr* h, const u_char* p);\n' +
      '    static void AnswerOrKeep(u_char *s, const struct pcap_pkthdr* h, const u_char* p);\n' +
      '    static bool Answer(PcapSession *session, const struct pcap_pkthdr* h, const u_char* p);\n' +
      '    static bool AnswerAll(PcapSession *session);\n' +
      '    static bool PollAnswered(PcapSession *session);\n' +
      '    static void Poll(const Nan::FunctionCallbackInfo<v8::Value>& info);\n' +
      '    static void Record(const Nan::FunctionCallbackInfo<v8::Value>& info);\n' +
      'public:\n' +
      '    static void Reply(const Nan::FunctionCallbackInfo<v8::Value>& info);\n' +
      '    static void Realtime(const Nan::FunctionCallbackInfo<v8::Value>& info);\n' +
      'private:\n' +
      '    lanlb::Answers answers;\n' +
      '    /** a frame the poll callback read but could not answer, for the next dispatch */\n' +
      '    std::vector<u_char> kept;\n' +
      '    struct pcap_pkthdr kept_header;\n' +
      '    bool has_kept = false;\n',
  ],
  [
    'pcap_session.cc',
    '  Nan::SetPrototypeMethod(tpl, "inject", Inject);\n',
    '  Nan::SetPrototypeMethod(tpl, "inject", Inject);\n' +
      `  Nan::SetPrototypeMethod(tpl, "lanlb_answers", SetAnswers); ${C}\n` +
      '  Nan::SetPrototypeMethod(tpl, "lanlb_answer_counts", TakeAnswerCounts);\n' +
      '  Nan::SetPrototypeMethod(tpl, "lanlb_answer_timing", AnswerTiming);\n' +
      '  Nan::SetPrototypeMethod(tpl, "lanlb_poll", Poll);\n' +
      '  Nan::SetPrototypeMethod(tpl, "lanlb_record", Record);\n' +
      '  Nan::SetMethod(exports, "lanlb_reply", Reply);\n' +
      '  Nan::SetMethod(exports, "lanlb_realtime", Realtime);\n',
  ],
  [
    'pcap_session.cc',
    '    int packet_count;\n    session->dispatching = true;\n    do {\n' +
      '        packet_count = pcap_dispatch(session->pcap_handle, 1, PacketReady, (u_char *)session);\n',
    '    int packet_count;\n    session->dispatching = true;\n' +
      `    if (session->has_kept) { ${C}: read by the poll callback\n` +
      '        session->has_kept = false;\n' +
      '        std::vector<u_char> frame;\n        frame.swap(session->kept);\n' +
      '        PacketReady((u_char *)session, &session->kept_header, frame.data());\n    }\n' +
      '    do {\n' +
      '        packet_count = pcap_dispatch(session->pcap_handle, 1, AnswerOrDeliver, (u_char *)session);\n',
  ],
  [
    'pcap_session.cc',
    '    PcapSession* session = reinterpret_cast<PcapSession*>(handle->data);\n',
    '    PcapSession* session = reinterpret_cast<PcapSession*>(handle->data);\n' +
      `    if (PollAnswered(session)) return; ${C}\n`,
  ],
  [
    'pcap_session.cc',
    'void PcapSession::Inject(const Nan::FunctionCallbackInfo<Value>& info)\n{\n',
    `#include "lanlb_answer_session.cc" ${C}\n\n` +
      'void PcapSession::Inject(const Nan::FunctionCallbackInfo<Value>& info)\n{\n',
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
 * Applies `edits` ([file, exact text, replacement]) to package `pkg` and copies `added` (files of
 * hack/) into it, unless this very patch is already applied; the package's directory when it
 * changed something. A package patched by another version of this script is first restored from
 * the pristine copies kept beside the files (FILE.lanlb-orig).
 */
function patch(pkg, edits, added = []) {
  const dir = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  const extra = added.map((f) => [f, readFileSync(join(HACK, f), 'utf8')]);
  const version = createHash('sha256')
    .update(JSON.stringify([edits, extra]))
    .digest('hex')
    .slice(0, 16);
  const stamp = join(dir, '.lanlb-patched');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === version) return undefined;
  const files = [...new Set(edits.map(([f]) => f))];
  const sources = new Map(files.map((f) => [f, pristine(pkg, join(dir, f))]));
  for (const [file, before, after] of edits) {
    const source = sources.get(file);
    if (source.split(before).length !== 2) {
      fail(`${join(dir, file)} is not ${pkg}'s expected version (no single ${JSON.stringify(before)})`);
    }
    sources.set(file, source.replace(before, after));
  }
  for (const [file, source] of sources) writeFileSync(join(dir, file), source);
  for (const [file, source] of extra) writeFileSync(join(dir, basename(file)), source);
  writeFileSync(stamp, version);
  return dir;
}

/** The file as the package shipped it, kept as FILE.lanlb-orig the first time it is patched. */
function pristine(pkg, path) {
  const orig = `${path}.lanlb-orig`;
  if (existsSync(orig)) return readFileSync(orig, 'utf8');
  const source = readFileSync(path, 'utf8');
  if (source.includes(MARK)) fail(`${path} was patched by an older hack/patch-deps.mjs: reinstall ${pkg} (npm ci)`);
  writeFileSync(orig, source);
  return source;
}

function fail(message) {
  process.stderr.write(`patch-deps: ${message}\n`);
  process.exit(1);
}

const pcap = patch('pcap', [...PCAP, ...PCAP_ANSWER], ['pcap/lanlb_answer.h', 'pcap/lanlb_answer_session.cc']);
if (pcap) {
  // The directory holding node_modules/pcap; npm rebuilds with its own node-gyp and whatever
  // npm_config_nodedir the install was given (hack/build-image.sh builds for the image's Node).
  execFileSync('npm', ['rebuild', 'pcap', '--ignore-scripts=false'], { cwd: dirname(dirname(pcap)), stdio: 'inherit' });
  process.stdout.write('patch-deps: node_pcap releases a capture on close and answers ARP / NDP natively (rebuilt)\n');
}
if (patch('@kubernetes/client-node', CLIENT_NODE)) {
  process.stdout.write("patch-deps: client-node's KubeConfig no longer loads the generated APIs\n");
}
