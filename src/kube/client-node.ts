// The one place lanlb imports @kubernetes/client-node from. By module path, not the package root:
// the root (dist/index.js) loads every generated API and model, some 900 modules and 37 MiB of
// RSS that lanlb never uses (it speaks to the apiserver through kube/http.ts). With the import in
// config.js narrowed at install (patches/, patch-package), these two paths load none of them.
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { Watch } from '@kubernetes/client-node/dist/watch.js';
