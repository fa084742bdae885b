/**
 * /ui over HTTP: the built console's files (from a build directory made here), index.html for
 * the page's own routes, nothing outside the build, same-origin headers, no token needed (the
 * page holds no data), and a clear 503 when nothing is built.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';

let root: string;
let app: TestApp;
let unbuilt: TestApp;
const INDEX = '<!doctype html><title>console</title><script type="module" src="/ui/assets/index-abc123.js"></script>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4096))});`;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-console-'));
  await fs.mkdir(path.join(root, 'dist', 'assets'), { recursive: true });
  await fs.writeFile(path.join(root, 'dist', 'index.html'), INDEX);
  await fs.writeFile(path.join(root, 'dist', 'assets', 'index-abc123.js'), SCRIPT);
  await fs.writeFile(path.join(root, 'secret.txt'), 'outside the build');
  [app, unbuilt] = await Promise.all([startTestApp({ consoleDir: path.join(root, 'dist') }), startTestApp({ consoleDir: path.join(root, 'nothing-built') })]);
});

afterAll(async () => {
  await Promise.all([app?.close(), unbuilt?.close()]);
  await fs.rm(root, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw request: the path is sent exactly as written (fetch would normalise dot segments). */
function get(base: string, rawPath: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request({ hostname, port, path: rawPath, method: options.method ?? 'GET', headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the console at /ui', () => {
  it('answers the page without a token, with same-origin headers and no caching of index.html', async () => {
    const page = await get(app.url, '/ui/');
    expect(page.status).toBe(200);
    expect(page.body.toString()).toBe(INDEX);
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    const csp = page.headers['content-security-policy']!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe|https?:|\*/);
  });

  it.each(['/ui/clusters/0b9c', '/ui/snapshots/abc', '/ui/sign-in', '/ui/clusters/x/'])('answers the page\'s own route %s with index.html', async (route) => {
    const page = await get(app.url, route);
    expect(page.status).toBe(200);
    expect(page.body.toString()).toBe(INDEX);
  });

  it('redirects /ui to /ui/', async () => {
    const answer = await get(app.url, '/ui');
    expect(answer.status).toBe(308);
    expect(answer.headers.location).toBe('/ui/');
  });

  it('serves built assets for good, gzip-compressed when the browser accepts it', async () => {
    const plain = await get(app.url, '/ui/assets/index-abc123.js');
    expect(plain.status).toBe(200);
    expect(plain.body.toString()).toBe(SCRIPT);
    expect(plain.headers).toMatchObject({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable', vary: 'Accept-Encoding' });
    expect(plain.headers['content-encoding']).toBeUndefined();

    const gzip = await get(app.url, '/ui/assets/index-abc123.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(Number(gzip.headers['content-length'])).toBe(gzip.body.length);
    expect(gzip.body.length).toBeLessThan(SCRIPT.length / 10);
    expect(gunzipSync(gzip.body).toString()).toBe(SCRIPT);
  });

  it('answers HEAD with the headers only, and other methods with 405', async () => {
    const head = await get(app.url, '/ui/assets/index-abc123.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(SCRIPT.length));
    expect(head.body.length).toBe(0);
    const post = await get(app.url, '/ui/', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it.each([
    ['a file the build lacks', '/ui/assets/missing.js'],
    ['a dot segment', '/ui/../secret.txt'],
    ['an encoded dot segment', '/ui/%2e%2e/secret.txt'],
    ['an encoded slash and dots', '/ui/assets%2f..%2f..%2fsecret.txt'],
    ['a hidden file', '/ui/.env.js'],
    ['a backslash', '/ui/..%5csecret.txt'],
    ['a NUL', '/ui/assets/index-abc123.js%00.html'],
    ['bad percent-encoding', '/ui/%zz.js'],
  ])('answers 404 to %s, never a file outside the build', async (_what, rawPath) => {
    const answer = await get(app.url, rawPath);
    expect(answer.body.toString()).not.toContain('outside the build');
    // URL parsing may resolve `..` above /ui before the console sees the path: then it is no console path at all.
    expect([404, ...(rawPath.includes('/../') ? [401] : [])]).toContain(answer.status);
  });

  it('answers the new index.html once a rebuild replaced it (npm run dev)', async () => {
    const rebuilt = INDEX.replace('abc123', 'def456');
    const file = path.join(root, 'dist', 'index.html');
    await fs.writeFile(file, rebuilt);
    const later = new Date(Date.now() + 60_000);
    await fs.utimes(file, later, later);
    try {
      expect((await get(app.url, '/ui/')).body.toString()).toBe(rebuilt);
    } finally {
      await fs.writeFile(file, INDEX);
    }
    expect((await get(app.url, '/ui/sign-in')).body.toString()).toBe(INDEX);
  });

  it('answers 503 with how to build it when nothing is built', async () => {
    const answer = await get(unbuilt.url, '/ui/');
    expect(answer.status).toBe(503);
    expect(answer.body.toString()).toBe('the console is not built: run `npm run build:ui` (npm start builds it when missing)');
    expect((await get(unbuilt.url, '/ui/assets/index-abc123.js')).status).toBe(404);
  });
});
