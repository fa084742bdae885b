import type { Plugin } from 'graphql-yoga';

const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS for the exact origins listed (CORS_ORIGINS) and for no other: an unlisted Origin gets no
 * CORS header at all, never a reflection of itself. Tokens travel in the Authorization header,
 * never in cookies, so no Access-Control-Allow-Credentials either.
 */
export function useCorsOrigins(origins: readonly string[]): Plugin {
  const allowed = new Set(origins);
  const allowedOrigin = (request: Request) => {
    const origin = request.headers.get('origin');
    return origin !== null && allowed.has(origin) ? origin : undefined;
  };
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (request.method !== 'OPTIONS') return;
      const origin = allowedOrigin(request);
      const preflight: Record<string, string> = origin
        ? {
            'access-control-allow-methods': 'GET, POST',
            'access-control-allow-headers': 'authorization, content-type, accept',
            'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
          }
        : {};
      endResponse(new fetchAPI.Response(null, { status: 204, headers: { 'content-length': '0', ...preflight } }));
    },
    onResponse({ request, response }) {
      // The answer depends on the Origin: caches must keep one copy per origin.
      response.headers.append('vary', 'Origin');
      const origin = allowedOrigin(request);
      if (origin) response.headers.set('access-control-allow-origin', origin);
    },
  };
}
