// Keeps the webhook's certificate in the Secret lanlb-webhook-cert: creates the CA and serving
// certificate if missing, renews the serving certificate before it expires (or when the hosts
// change), and injects the CA into the ValidatingWebhookConfiguration and the CRDs' conversion
// config. Every replica may run this: writes are optimistic and the results identical.
import { isConflict, isNotFound } from '../runtime/ports/api-error.js';
import { JSON_PATCH, type KubeHttp } from '../kube/http.js';
import {
  certificateHosts,
  createCA,
  createServingCert,
  msUntilExpiry,
  type CertificateBundle,
} from './certificates.js';
import { customResourceDefinitions } from '../../generated/index.js';
import type { Logger } from '../runtime/ports/logger.js';

export const WEBHOOK_SECRET = 'lanlb-webhook-cert';
export const WEBHOOK_CONFIGURATION = 'lanlb-validating-webhook';
export const CRD_NAMES = customResourceDefinitions
  .filter((c) => 'conversion' in c.spec && c.spec.conversion.strategy === 'Webhook')
  .map((c) => c.metadata.name);
/** Renew the serving certificate when less than this is left (it lasts a year). */
export const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

interface Secret {
  metadata: { name: string; resourceVersion?: string };
  data?: Record<string, string>;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

export interface CertManagerOptions {
  http: KubeHttp;
  log: Logger;
  namespace: string;
  hosts: string[];
  /** out-of-cluster runs (tests, lab): the URL base the apiserver calls instead of the Service */
  publicUrl?: string;
}

export class CertManager {
  constructor(private readonly o: CertManagerOptions) {}

  private get secretPath(): string {
    return `/api/v1/namespaces/${this.o.namespace}/secrets/${WEBHOOK_SECRET}`;
  }

  /** The current bundle, created or renewed as needed. */
  async ensure(now = Date.now()): Promise<CertificateBundle> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const secret = await this.o.http.get<Secret>(this.secretPath).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      const have = bundleOf(secret);
      const caOk = Boolean(have.caCert && have.caKey && msUntilExpiry(have.caCert, now) > RENEW_BEFORE_MS);
      if (caOk && this.serves(have, now)) return have;
      const ca = caOk ? { cert: have.caCert, key: have.caKey } : createCA(now);
      const serving = createServingCert(ca, this.o.hosts, now);
      const bundle = { caCert: ca.cert, caKey: ca.key, cert: serving.cert, key: serving.key };
      try {
        await this.write(secret, bundle);
        this.o.log.info(caOk ? 'webhook certificate renewed' : 'webhook CA and certificate created', {
          hosts: this.o.hosts,
        });
        return bundle;
      } catch (err) {
        if (!isConflict(err)) throw err; // another replica wrote it first: read theirs
      }
    }
    throw new Error('webhook certificate: too many conflicting writers');
  }

  /** The serving certificate is there, not due for renewal, and names every host. */
  private serves(have: CertificateBundle, now: number): boolean {
    return Boolean(
      have.cert &&
      have.key &&
      msUntilExpiry(have.cert, now) > RENEW_BEFORE_MS &&
      this.o.hosts.every((h) => certificateHosts(have.cert).includes(h)),
    );
  }

  /** Writes the bundle: an update of the Secret read (optimistic), or a create. */
  private async write(secret: Secret | undefined, bundle: CertificateBundle): Promise<void> {
    const body = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: WEBHOOK_SECRET,
        namespace: this.o.namespace,
        ...(secret ? { resourceVersion: secret.metadata.resourceVersion } : {}),
      },
      data: {
        'ca.crt': b64(bundle.caCert),
        'ca.key': b64(bundle.caKey),
        'tls.crt': b64(bundle.cert),
        'tls.key': b64(bundle.key),
      },
    };
    if (secret) await this.o.http.put(this.secretPath, body);
    else await this.o.http.post(`/api/v1/namespaces/${this.o.namespace}/secrets`, body);
  }

  /** Puts the CA (and, out of cluster, the URL) into the webhook configuration and the CRDs. */
  async inject(caCert: string): Promise<void> {
    const caBundle = b64(caCert);
    const vwcPath = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${WEBHOOK_CONFIGURATION}`;
    try {
      const vwc = await this.o.http.get<{ webhooks?: Array<{ clientConfig?: Record<string, unknown> }> }>(vwcPath);
      const ops = (vwc.webhooks ?? []).flatMap((w, i) =>
        this.clientConfigOps(`/webhooks/${i}/clientConfig`, w.clientConfig ?? {}, caBundle, '/validate'),
      );
      if (ops.length) await this.o.http.patch(vwcPath, ops, JSON_PATCH);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.o.log.warn(
        'webhook configuration not found: admission validation is off (status conditions still report problems)',
        { name: WEBHOOK_CONFIGURATION },
      );
    }
    for (const name of CRD_NAMES) {
      const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
      const crd = await this.o.http
        .get<{
          spec: { conversion?: { strategy?: string; webhook?: { clientConfig?: Record<string, unknown> } } };
        }>(path)
        .catch(() => undefined);
      const cc = crd?.spec.conversion?.webhook?.clientConfig;
      if (crd?.spec.conversion?.strategy !== 'Webhook' || !cc) continue;
      const ops = this.clientConfigOps('/spec/conversion/webhook/clientConfig', cc, caBundle, '/convert');
      if (ops.length) await this.o.http.patch(path, ops, JSON_PATCH);
    }
  }

  private clientConfigOps(at: string, cc: Record<string, unknown>, caBundle: string, path: string): object[] {
    const ops: object[] = [];
    if (cc.caBundle !== caBundle) ops.push({ op: 'add', path: `${at}/caBundle`, value: caBundle });
    if (this.o.publicUrl) {
      const url = `${this.o.publicUrl}${path}`;
      if (cc.url !== url) ops.push({ op: 'add', path: `${at}/url`, value: url });
      if (cc.service) ops.push({ op: 'remove', path: `${at}/service` });
    }
    return ops;
  }
}

function bundleOf(secret: Secret | undefined): CertificateBundle {
  return {
    caCert: unb64(secret?.data?.['ca.crt']),
    caKey: unb64(secret?.data?.['ca.key']),
    cert: unb64(secret?.data?.['tls.crt']),
    key: unb64(secret?.data?.['tls.key']),
  };
}
