// A private CA and a serving certificate for the webhook Service, made with node-forge (Node's
// crypto parses X.509 but cannot issue it). PEM in, PEM out.
import forge from 'node-forge';

export interface CertificateBundle {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

const DAY = 24 * 3600 * 1000;

function serial(): string {
  // A positive 16-byte serial (RFC 5280 4.1.2.2).
  return `01${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
}

/** A fresh key pair and an unsigned certificate valid from a minute ago for `days`. */
function draft(now: number, days: number): { keys: forge.pki.rsa.KeyPair; cert: forge.pki.Certificate } {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now - 60_000); // tolerate a little clock skew
  cert.validity.notAfter = new Date(now + days * DAY);
  return { keys, cert };
}

export function createCA(now = Date.now(), days = 3650): { cert: string; key: string } {
  const { keys, cert } = draft(now, days);
  const subject = [{ name: 'commonName', value: 'lanlb-webhook-ca' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}

export function createServingCert(
  ca: { cert: string; key: string },
  hosts: readonly string[],
  now = Date.now(),
  days = 365,
): { cert: string; key: string } {
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const { keys, cert } = draft(now, days);
  cert.setSubject([{ name: 'commonName', value: hosts[0] ?? 'lanlb-webhook' }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = hosts.map((h) => (/^[0-9.]+$|:/.test(h) ? { type: 7, ip: h } : { type: 2, value: h }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}

/** Milliseconds until `pem` expires (negative when expired). */
export function msUntilExpiry(pem: string, now = Date.now()): number {
  return forge.pki.certificateFromPem(pem).validity.notAfter.getTime() - now;
}

/** DNS names and IPs the certificate is valid for. */
export function certificateHosts(pem: string): string[] {
  const ext = forge.pki.certificateFromPem(pem).getExtension('subjectAltName') as
    | { altNames?: Array<{ value?: string; ip?: string }> }
    | undefined;
  return (ext?.altNames ?? []).map((a) => a.ip ?? a.value ?? '');
}
