/**
 * Certificates for the test apiserver — a throwaway CA and a serving
 * certificate it signs for IP 127.0.0.1 and localhost (EC keys: milliseconds
 * to make; made once per process) — and the kubeconfig that trusts that CA.
 */
import { generate } from 'selfsigned';

export interface ServerCertificates {
  /** PEM of the CA; what certificate-authority-data carries. */
  ca: string;
  cert: string;
  key: string;
}

let cached: Promise<ServerCertificates> | undefined;

async function create(): Promise<ServerCertificates> {
  const notAfterDate = new Date(Date.now() + 7 * 24 * 3600 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'vsnap-test-ca' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: 'kubernetes.default.svc' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { ca: ca.cert, cert: leaf.cert, key: leaf.private };
}

export function serverCertificates(): Promise<ServerCertificates> {
  cached ??= create().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

export interface KubeconfigOptions {
  server: string;
  ca: string;
  token: string;
  /** Cluster, user and context name. */
  name?: string;
  namespace?: string;
}

/** A kubeconfig YAML with one cluster (CA data, no insecure flag), one token user and current-context set. */
export function kubeconfigYaml(options: KubeconfigOptions): string {
  const name = options.name ?? 'vsnap-test';
  const caData = Buffer.from(options.ca).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${name}`,
    '  cluster:',
    `    server: ${options.server}`,
    `    certificate-authority-data: ${caData}`,
    'users:',
    `- name: ${name}`,
    '  user:',
    `    token: ${JSON.stringify(options.token)}`,
    'contexts:',
    `- name: ${name}`,
    '  context:',
    `    cluster: ${name}`,
    `    user: ${name}`,
    `    namespace: ${options.namespace ?? 'default'}`,
    `current-context: ${name}`,
    '',
  ].join('\n');
}
