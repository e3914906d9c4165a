// Lint rules that carry the project's layering (docs/style.md, "Rules we keep" 1):
// cores (address math, allocator, conflict detection, frame codecs) import no I/O, no Kubernetes
// client, no timers and no logger, so they stay pure and fast to test.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = [
  'fs',
  'fs/promises',
  'net',
  'dgram',
  'http',
  'https',
  'http2',
  'child_process',
  'cluster',
  'os',
  'dns',
  'tls',
  'worker_threads',
  'timers',
  'timers/promises',
  'readline',
  'process',
  'perf_hooks',
  'stream',
  'inspector',
  'v8',
  'vm',
];
const forbiddenInCores = [
  ...ioModules.flatMap((m) => [m, `node:${m}`]),
  '@kubernetes/client-node',
  'pcap',
  'prom-client',
];

/** Pure cores: decisions and codecs, no I/O (docs/decisions/0002-layers.md). */
export const CORE_FOLDERS = [
  'src/core',
  'src/ipam',
  'src/l2/codec',
  'src/l2/election',
  'src/announcer/plan',
  'src/conversion',
  'src/reconcile',
  'src/status',
  'src/preview',
  'src/runtime/ports',
];
/** Adapters: the edge (Kubernetes, libpcap, HTTP, logs) and what wires them (cli, harness). */
export const ADAPTER_PATTERNS = [
  '**/kube/**',
  '**/observability/**',
  '**/http/**',
  '**/webhook/**',
  '**/l2/responder/**',
  '**/cli/**',
  '**/lab/**',
  '**/devcluster/**',
  '**/validate/**',
  '**/migrate/**',
];
/** Applications and the runtime take ports: they import no adapter, not even a type. */
export const PORT_TAKING_FOLDERS = ['src/controller', 'src/announcer', 'src/runtime'];
/** What a core may never import: the runtime, adapters and the applications. */
const NOT_CORES = [
  '**/runtime/**',
  '**/kube/**',
  '**/observability/**',
  '**/http/**',
  '**/cli/**',
  '**/controller/**',
  '**/announcer/*',
  '**/webhook/**',
  '**/l2/responder/**',
  '**/lab/**',
  '**/devcluster/**',
  '**/validate/**',
  '**/migrate/**',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'generated/**', 'bin/**', 'scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // lanlb's fork of node_pcap keeps upstream's CommonJS module (packages/pcap/pcap.js).
    files: ['packages/pcap/pcap.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        exports: 'writable',
        module: 'writable',
        process: 'readonly',
        Buffer: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: PORT_TAKING_FOLDERS.map((f) => `${f}/**/*.ts`),
    ignores: CORE_FOLDERS.map((f) => `${f}/**/*.ts`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ADAPTER_PATTERNS,
              message: 'applications and the runtime take ports (src/runtime/ports), never an adapter (decision 0002)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/runtime/**/*.ts'],
    ignores: ['src/runtime/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ADAPTER_PATTERNS, message: 'the runtime imports no adapter (decision 0002)' },
            { group: ['**/controller/**', '**/announcer/**'], message: 'the runtime imports no application' },
          ],
        },
      ],
    },
  },
  {
    // A failing test says what it expected (issue 26): assert.ok(x) alone reports only "falsy".
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.object.name="assert"][callee.property.name="ok"][arguments.length<2]',
          message: 'assert.ok needs a message naming what was expected (and, where it helps, what was seen)',
        },
        {
          selector: 'CallExpression[callee.name="assert"][arguments.length<2]',
          message: 'assert() needs a message naming what was expected',
        },
      ],
    },
  },
  {
    files: CORE_FOLDERS.map((f) => `${f}/**/*.ts`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbiddenInCores.map((name) => ({ name, message: 'cores stay free of I/O (docs/style.md rule 1)' })),
          patterns: [{ group: NOT_CORES, message: 'cores import only cores (docs/decisions/0002-layers.md)' }],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'no timers in cores' },
        { name: 'setInterval', message: 'no timers in cores' },
        { name: 'setImmediate', message: 'no timers in cores' },
        { name: 'console', message: 'no logger in cores' },
        { name: 'process', message: 'no process access in cores' },
        { name: 'fetch', message: 'no I/O in cores' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'cores take time as an argument' },
      ],
    },
  },
);
