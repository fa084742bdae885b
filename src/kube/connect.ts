import { KubeConfig } from '@kubernetes/client-node';

/** Where a virtual cluster's kubeconfig comes from: inline YAML (development) or a file (mounted secret). */
export type KubeConfigSource = { inline: string } | { file: string };

/** A kubeconfig that cannot be used to reach a cluster; the message says why and names the source. */
export class KubeConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubeConfigError';
  }
}

/**
 * Loads a kubeconfig and checks it names a usable current cluster, so a bad
 * config fails here with its own words instead of as an odd request error later.
 */
export function kubeConfigFrom(source: KubeConfigSource): KubeConfig {
  const origin = 'file' in source ? `kubeconfig file ${source.file}` : 'inline kubeconfig';
  const kc = new KubeConfig();
  try {
    if ('file' in source) kc.loadFromFile(source.file);
    else kc.loadFromString(source.inline);
  } catch (error) {
    throw new KubeConfigError(`${origin} could not be loaded: ${messageOf(error)}`, { cause: error });
  }

  const context = kc.getCurrentContext();
  if (!context) throw new KubeConfigError(`${origin} has no current-context`);
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new KubeConfigError(`${origin} has no current cluster (current-context "${context}" names no known cluster)`);
  }
  if (!cluster.server) throw new KubeConfigError(`${origin}: cluster "${cluster.name}" has no server URL`);
  // client-node refuses plain HTTP without skipTLSVerify at request time; say so up front.
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    throw new KubeConfigError(
      `${origin}: cluster "${cluster.name}" uses plain HTTP (${cluster.server}); set insecure-skip-tls-verify or use https`,
    );
  }
  return kc;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
