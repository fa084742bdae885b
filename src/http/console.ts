import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** Where `npm run build:ui` writes the console (ui/dist, git-ignored). */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../ui/dist/', import.meta.url));

/** The path the console is served under; its page talks to /graphql on the same origin. */
export const CONSOLE_PATH = '/ui';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt', '.map']);

/**
 * Same origin only: scripts, styles and the GraphQL connection (HTTP and WebSocket) go to
 * vsnap itself; nothing is loaded from anywhere else, and no page may frame the console.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface StaticFile {
  type: string;
  modifiedMs: number;
  body: Buffer;
  gzip: Buffer | undefined;
  immutable: boolean;
}

/**
 * Serves the built console under /ui: files from the build directory, hashed assets cached
 * for good, every other path without an extension answered with index.html (the page routes
 * itself). Files are kept in memory with their gzip form (the build is small); index.html is
 * read again when it changes. A missing build is answered 503 with how to make it.
 */
export function consoleHandler(directory: string): (req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => Promise<void> {
  const root = path.resolve(directory);
  const files = new Map<string, Promise<StaticFile | undefined>>();

  const load = async (relative: string) => {
    let file = files.get(relative);
    // index.html keeps its name across builds (npm run dev rebuilds it): read again once it changed.
    const cached = await file;
    if (cached && !cached.immutable) {
      const modifiedMs = await fs.stat(path.join(root, relative)).then((stat) => stat.mtimeMs, () => undefined);
      if (modifiedMs !== cached.modifiedMs) file = undefined;
    }
    if (!file) {
      file = readStatic(root, relative);
      files.set(relative, file);
      // A file missing now may be built later (npm run dev): only found files stay cached.
      void file.then(
        (found) => found ?? files.delete(relative),
        () => files.delete(relative),
      );
    }
    return file;
  };

  return async (req, res, pathname) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed');
      return;
    }
    if (pathname === CONSOLE_PATH) {
      res.writeHead(308, { location: `${CONSOLE_PATH}/` }).end();
      return;
    }
    const relative = safeRelative(pathname.slice(CONSOLE_PATH.length + 1));
    if (relative === undefined) return notFound(res);
    // A path with an extension names a file; any other is one of the page's own routes.
    const wanted = relative === '' || path.extname(relative) === '' ? 'index.html' : relative;
    const file = await load(wanted);
    if (!file) {
      if (wanted !== 'index.html') return notFound(res);
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' });
      res.end('the console is not built: run `npm run build:ui` (npm start builds it when missing)');
      return;
    }
    const gzip = file.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzip! : file.body;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': file.type,
      'content-length': String(body.length),
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      vary: 'Accept-Encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/**
 * The request path below /ui/ as a relative file path, or undefined when it is none a build
 * holds: encoded wrongly, with a NUL, a backslash, a dot segment (`..`, `.env`) or an empty one.
 */
function safeRelative(encoded: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  if (decoded === '') return '';
  if (/[\0\\]/.test(decoded)) return undefined;
  const segments = decoded.split('/');
  if (segments.some((segment, index) => segment.startsWith('.') || (segment === '' && index < segments.length - 1))) return undefined;
  return segments.filter(Boolean).join('/');
}

async function readStatic(root: string, relative: string): Promise<StaticFile | undefined> {
  const full = path.join(root, relative);
  // safeRelative leaves no way out of the root; checked again here so this function stands alone.
  if (!full.startsWith(root + path.sep)) return undefined;
  const missing = (error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'EISDIR' || error.code === 'ENOTDIR') return undefined;
    throw error;
  };
  const [stat, body] = await Promise.all([fs.stat(full).catch(missing), fs.readFile(full).catch(missing)]);
  if (!stat || !body) return undefined;
  const extension = path.extname(relative);
  return {
    type: CONTENT_TYPES[extension] ?? 'application/octet-stream',
    modifiedMs: stat.mtimeMs,
    body,
    gzip: COMPRESSIBLE.has(extension) && body.length > 512 ? gzipSync(body, { level: 9 }) : undefined,
    // Vite names built assets by content hash (assets/index-<hash>.js): they never change.
    immutable: relative.startsWith('assets/'),
  };
}

function notFound(res: http.ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
}
