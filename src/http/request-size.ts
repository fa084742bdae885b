import { GraphQLError } from 'graphql';
import type { FetchAPI, Plugin } from 'graphql-yoga';

const tooLarge = () => new GraphQLError('Request body too large', { extensions: { code: 'REQUEST_ENTITY_TOO_LARGE', http: { status: 413 } } });

/**
 * Refuses a request body longer than `maxBytes` with 413 REQUEST_ENTITY_TOO_LARGE (yoga's own
 * maxRequestBodySize codes and words): from Content-Length alone, before a byte of the body is
 * read, or, for a body without one (chunked), as soon as it passes the limit. yoga's option streams
 * EVERY body through a TransformStream into a second Request, which an SSE subscription then holds
 * for its whole life (9.5 KiB each, bench:fanout); with a Content-Length Node's parser already
 * reads exactly that many bytes, so only a chunked body is counted here.
 */
export function useRequestBodyLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      // Node's parser has already answered 400 to a Content-Length that is not one whole number.
      const contentLength = request.headers.get('content-length');
      if (contentLength !== null) {
        if (Number(contentLength) > maxBytes) throw tooLarge();
        return;
      }
      if (!requestParser || !request.body) return;
      setRequestParser((chunked) => requestParser(countedBody(chunked, maxBytes, fetchAPI)));
    },
  };
}

/** `request` with its body failing once more than `maxBytes` have come. */
function countedBody(request: Request, maxBytes: number, fetchAPI: FetchAPI): Request {
  let bytes = 0;
  // A native body takes a native TransformStream (the ponyfill's cannot be piped into from it: yoga's own workaround).
  const Transform = request.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  const counted = request.body!.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        if (bytes > maxBytes) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, signal: request.signal, body: counted, duplex: 'half' } as RequestInit);
}

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
 * A body refused as too large (413) ends its connection: otherwise
 * Node reads and discards the rest of the body to keep the connection alive, however long it is.
 */
export function useCloseAfterTooLarge(): Plugin {
  return {
    onResponse({ response }) {
      if (response.status === 413) response.headers.set('connection', 'close');
    },
  };
}
