import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Refuses a GraphQL document longer than `maxBytes` (UTF-8) before it is parsed: the token limit
 * counts tokens, not the bytes of long names, strings or comments between them.
 */
export function useMaxDocumentBytes(maxBytes: number): Plugin {
  return {
    onParams({ params }) {
      const bytes = Buffer.byteLength(params.query ?? '', 'utf8');
      if (bytes > maxBytes) {
        throw new GraphQLError(`the GraphQL document has ${bytes} bytes, more than the limit of ${maxBytes}`, {
          extensions: { code: 'DOCUMENT_TOO_LARGE', http: { status: 413 } },
        });
      }
    },
  };
}

/**
 * A body refused as too large (yoga's maxRequestBodySize: 413) ends its connection: otherwise
 * Node reads and discards the rest of the body to keep the connection alive, however long it is.
 */
export function useCloseAfterTooLarge(): Plugin {
  return {
    onResponse({ response }) {
      if (response.status === 413) response.headers.set('connection', 'close');
    },
  };
}
