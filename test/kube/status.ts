/**
 * Kubernetes `Status` objects, the body of every error answer, and the error
 * class the test server throws internally to produce them.
 */

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { continue?: string; resourceVersion?: string };
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  code: number;
  details?: StatusDetails;
}

export function kubeStatus(code: number, reason: string, message: string, details?: StatusDetails): KubeStatus {
  const status: KubeStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) status.details = details;
  return status;
}

/** Thrown anywhere in the server; the HTTP layer answers `status.code` with `status` as the body. */
export class KubeApiError extends Error {
  constructor(readonly status: KubeStatus) {
    super(status.message);
    this.name = 'KubeApiError';
  }
}

/** What a real apiserver calls a resource in messages: `configmaps`, `deployments.apps`. */
export function qualifiedResource(group: string, plural: string): string {
  return group ? `${plural}.${group}` : plural;
}

export const errors = {
  notFound(group: string, plural: string, name: string): KubeApiError {
    return new KubeApiError(
      kubeStatus(404, 'NotFound', `${qualifiedResource(group, plural)} "${name}" not found`, { name, group, kind: plural }),
    );
  },
  alreadyExists(group: string, plural: string, name: string): KubeApiError {
    return new KubeApiError(
      kubeStatus(409, 'AlreadyExists', `${qualifiedResource(group, plural)} "${name}" already exists`, { name, group, kind: plural }),
    );
  },
  conflict(group: string, plural: string, name: string): KubeApiError {
    const message =
      `Operation cannot be fulfilled on ${qualifiedResource(group, plural)} "${name}": ` +
      'the object has been modified; please apply your changes to the latest version and try again';
    return new KubeApiError(kubeStatus(409, 'Conflict', message, { name, group, kind: plural }));
  },
  invalid(group: string, kind: string, name: string, message: string): KubeApiError {
    return new KubeApiError(kubeStatus(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${message}`, { name, group, kind }));
  },
  badRequest(message: string): KubeApiError {
    return new KubeApiError(kubeStatus(400, 'BadRequest', message));
  },
  methodNotAllowed(): KubeApiError {
    return new KubeApiError(kubeStatus(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'));
  },
  unsupportedMediaType(contentType: string): KubeApiError {
    return new KubeApiError(kubeStatus(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${contentType})`));
  },
  pathNotFound(): KubeApiError {
    return new KubeApiError(kubeStatus(404, 'NotFound', 'the server could not find the requested resource'));
  },
  unauthorized(): KubeApiError {
    return new KubeApiError(kubeStatus(401, 'Unauthorized', 'Unauthorized'));
  },
  forbidden(user: string, verb: string, group: string, plural: string, namespace?: string): KubeApiError {
    const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
    const message = `${qualifiedResource(group, plural)} is forbidden: User "${user}" cannot ${verb} resource "${plural}" in API group "${group}" ${scope}`;
    return new KubeApiError(kubeStatus(403, 'Forbidden', message, { group, kind: plural }));
  },
  unavailable(): KubeApiError {
    return new KubeApiError(kubeStatus(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'));
  },
  /** The 410 a list answers for a continue token whose resourceVersion has been compacted. */
  expiredContinue(inconsistentContinue?: string): KubeApiError {
    const message =
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without ' +
      'the continue parameter, or use the continue token in this response to retrieve the remainder of the results. ' +
      'Continuing with the provided token results in an inconsistent list - objects that were created, modified, or ' +
      'deleted between the time the first chunk was returned and now may show up in the list.';
    const status = kubeStatus(410, 'Expired', message);
    if (inconsistentContinue) status.metadata.continue = inconsistentContinue;
    return new KubeApiError(status);
  },
  /** The Status inside the ERROR event a watch gets for a resourceVersion older than the history. */
  tooOldResourceVersion(requested: number, oldest: number): KubeStatus {
    return kubeStatus(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
  },
};
