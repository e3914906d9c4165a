// Kubernetes access the usual way: --kubeconfig, then KUBECONFIG, then ~/.kube/config, then the
// in-cluster service account (client-node's loadFromDefault covers the last three).
import { existsSync } from 'node:fs';
import { KubeConfig } from './client-node.js';

export function loadKubeConfig(path?: string, context?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) {
    if (!existsSync(path)) throw new Error(`kubeconfig ${path} does not exist`);
    kc.loadFromFile(path);
  } else {
    kc.loadFromDefault();
  }
  if (context !== undefined) {
    if (!kc.getContextObject(context)) throw new Error(`kubeconfig has no context ${JSON.stringify(context)}`);
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) throw new Error('no Kubernetes cluster configured: pass --kubeconfig or set KUBECONFIG');
  return kc;
}
