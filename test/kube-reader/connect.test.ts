import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeConfigError, kubeConfigFrom } from '../../src/kube/connect.ts';

const kubeconfig = (server: string, extra = '') => `apiVersion: v1
kind: Config
clusters:
- name: vc
  cluster:
    server: ${server}${extra}
users:
- name: admin
  user:
    token: abc
contexts:
- name: vc
  context: { cluster: vc, user: admin }
current-context: vc
`;

describe('kubeConfigFrom', () => {
  it('loads an inline kubeconfig and a file', async () => {
    const inline = kubeConfigFrom({ inline: kubeconfig('https://10.0.0.1:6443') });
    expect(inline.getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
    expect(inline.getCurrentUser()?.token).toBe('abc');

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-kc-'));
    try {
      const file = path.join(dir, 'config');
      await fs.writeFile(file, kubeconfig('https://vc.example:443'));
      expect(kubeConfigFrom({ file }).getCurrentCluster()?.server).toBe('https://vc.example:443');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['empty text', { inline: '' }, 'inline kubeconfig could not be loaded'],
    ['no current-context', { inline: 'apiVersion: v1\nkind: Config\nclusters: []\n' }, 'inline kubeconfig has no current-context'],
    ['a context naming no cluster', { inline: kubeconfig('https://x').replace('cluster: vc, user', 'cluster: gone, user') }, 'has no current cluster (current-context "vc"'],
    ['plain HTTP without skip-verify', { inline: kubeconfig('http://10.0.0.1:8080') }, 'uses plain HTTP'],
    ['a missing file', { file: '/nonexistent/vsnap/kubeconfig' }, 'kubeconfig file /nonexistent/vsnap/kubeconfig could not be loaded'],
  ])('rejects %s with a clear KubeConfigError', (_, source, message) => {
    expect(() => kubeConfigFrom(source)).toThrow(KubeConfigError);
    expect(() => kubeConfigFrom(source)).toThrow(message);
  });

  it('accepts plain HTTP when TLS verification is explicitly skipped', () => {
    const kc = kubeConfigFrom({ inline: kubeconfig('http://10.0.0.1:8080', '\n    insecure-skip-tls-verify: true') });
    expect(kc.getCurrentCluster()?.skipTLSVerify).toBe(true);
  });
});
