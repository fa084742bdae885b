/** Kubeconfigs and connections for tests, built the way vsnap builds them: admitted first. */
import { admitKubeconfig } from '../../src/kube/admission.ts';
import { connectCluster, type ClusterConnection, type ConnectionOptions } from '../../src/kube/connect.ts';
import { EgressPolicy } from '../../src/kube/egress.ts';

/**
 * A kubeconfig admission accepts, for clusters a test registers but never
 * snapshots. Flow YAML on one line without double quotes, so it also fits
 * inside a GraphQL string literal.
 */
export const STATIC_KUBECONFIG =
  '{current-context: vc, clusters: [{name: vc, cluster: {server: https://vc.example.invalid:6443}}], users: [{name: vc, user: {token: t0ken}}], contexts: [{name: vc, context: {cluster: vc, user: vc}}]}';

/** The policy of development and tests: loopback allowed, since the Kubernetes API test server listens on 127.0.0.1. */
export const TEST_EGRESS = EgressPolicy.defaults('test');

/** A connection to the cluster of `kubeconfig` (retries: `options.retries`, else a default budget of its own); close it after the test. */
export function connectTo(kubeconfig: string, egress: EgressPolicy = TEST_EGRESS, options: ConnectionOptions = {}): ClusterConnection {
  return connectCluster(admitKubeconfig(kubeconfig), egress, options);
}
