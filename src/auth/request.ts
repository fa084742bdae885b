import { AuthenticationError, type TokenVerifier } from './tokens.ts';
import type { Viewer } from './viewer.ts';

/**
 * The caller behind an `Authorization` value ("Bearer <token>", the scheme in any case): the one
 * token → viewer step of every transport (HTTP here; SSE and graphql-ws subscriptions pass the
 * header or their connection_init value the same way). Throws AuthenticationError.
 */
export async function authenticate(verifier: TokenVerifier, authorization: string | null | undefined): Promise<Viewer> {
  const token = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) throw new AuthenticationError('an Authorization: Bearer <token> header is required');
  return verifier.verify(token);
}
