import fs from 'node:fs/promises';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { VirtualClusterSchema, type VirtualCluster } from './entity.ts';
import { errorMessage } from '../errors.ts';

/**
 * The kubeconfig of a virtual cluster: inline (development) or a mounted
 * secret, `<secretsDir>/<secret-name>/<key>` as Kubernetes mounts secret volumes.
 */
export async function readKubeconfig(em: EntityManager, cluster: VirtualCluster, secretsDir: string): Promise<string> {
  if (cluster.kubeconfigSecretRef) {
    const [secret = '', key = ''] = cluster.kubeconfigSecretRef.split('/');
    const file = path.join(secretsDir, secret, key);
    try {
      return await fs.readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`kubeconfig secret ${cluster.kubeconfigSecretRef} is not mounted at ${file}: ${errorMessage(error)}`, { cause: error });
    }
  }
  const loaded = await em.findOneOrFail(VirtualClusterSchema, { id: cluster.id }, { populate: ['kubeconfigInline'], refresh: true });
  if (!loaded.kubeconfigInline) throw new Error(`virtual cluster ${cluster.name} has no kubeconfig`);
  return loaded.kubeconfigInline;
}
