import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { authenticate } from '../auth/request.ts';
import { AuthenticationError, type TokenVerifier } from '../auth/tokens.ts';
import type { Viewer } from '../auth/viewer.ts';

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } } },
  });
}

/**
 * Authenticates each GraphQL request once, before its body is read: a caller without a valid
 * token gets 401 and learns nothing of the schema (no parse or validation errors, no suggestions).
 * GraphiQL's page and CORS preflights are answered earlier (onRequest) and need no token.
 */
export function requestAuthentication(verifier: TokenVerifier): { plugin: Plugin; viewerOf(request: Request): Viewer } {
  const viewers = new WeakMap<Request, Viewer>();
  return {
    plugin: {
      async onRequestParse({ request }) {
        try {
          viewers.set(request, await authenticate(verifier, request.headers.get('authorization')));
        } catch (error) {
          if (error instanceof AuthenticationError) throw unauthenticated(error.message);
          throw error;
        }
      },
    },
    viewerOf(request) {
      const viewer = viewers.get(request);
      // Every request that reaches execution went through onRequestParse; this guards the wiring.
      if (!viewer) throw unauthenticated('an Authorization: Bearer <token> header is required');
      return viewer;
    },
  };
}
