/**
 * A real S3 server for tests: s3rver on 127.0.0.1, a fresh data directory each,
 * spoken to over HTTP. s3rver 3.7 answers AbortMultipartUpload with
 * MethodNotAllowed and ListMultipartUploads with NotImplemented, so this front
 * adds those two S3 calls, working on s3rver's own layout (an abort deletes the
 * upload's parts, NoSuchUpload when there is none; the listing answers S3's XML
 * with prefix, delimiter, key-marker/upload-id-marker paging and Initiated), and
 * hands every other request to s3rver untouched. It can be stopped (connections
 * refused) and started again on the same port with its data.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'minio';
import type { S3Settings } from '../../src/storage/config.ts';

/** s3rver's one account; it checks the access key but never verifies a V4 signature. */
const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';
const REGION = 'us-east-1';
/** Where s3rver's filesystem store keeps a bucket's multipart uploads: `<bucket>/._S3rver_uploads/<uploadId>/`. */
const UPLOADS_DIR = '._S3rver_uploads';

interface S3rverApp {
  callback(): http.RequestListener;
  logger: { close(): void };
}
type S3rverConstructor = new (options: { silent: boolean; directory: string }) => S3rverApp;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

export interface PendingUpload {
  uploadId: string;
  /** Undefined when s3rver made the directory for a part sent after the upload was gone. */
  key: string | undefined;
  parts: { number: number; size: number }[];
}

export interface S3TestServer {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  /** s3rver's data directory. */
  directory: string;
  /** Settings for an S3ObjectStore or openObjectStore against this server. */
  settings(overrides?: Partial<S3Settings>): S3Settings;
  createBucket(name: string): Promise<void>;
  /** Multipart uploads begun and neither completed nor aborted, read from s3rver's directory. */
  pendingUploads(bucket: string): Promise<PendingUpload[]>;
  /** Makes an upload look begun at `initiated` (ListMultipartUploads' Initiated is its key file's mtime). */
  backdateUpload(bucket: string, uploadId: string, initiated: Date): Promise<void>;
  /** Stops listening and drops every connection: requests are refused until start(). */
  stop(): Promise<void>;
  /** Listens again on the same port, with the same data. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startS3Server(): Promise<S3TestServer> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-s3rver-'));
  const s3rver = new S3rver({ silent: true, directory });
  const handle = s3rver.callback();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://s3rver');
    if (req.method === 'DELETE' && url.searchParams.has('uploadId')) {
      abortMultipartUpload(directory, req, url).then(
        ({ status, code }) => respond(res, status, code),
        (error: unknown) => respond(res, 500, 'InternalError', String(error)),
      );
      return;
    }
    if (req.method === 'GET' && url.searchParams.has('uploads') && /^\/[^/]+\/?$/.test(url.pathname)) {
      listMultipartUploads(directory, req, url).then(
        (answer) => ('xml' in answer ? respondXml(res, answer.xml) : respond(res, answer.status, answer.code)),
        (error: unknown) => respond(res, 500, 'InternalError', String(error)),
      );
      return;
    }
    handle(req, res);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  };
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: ACCESS_KEY, secretKey: SECRET_KEY, region: REGION, pathStyle: true });

  return {
    endpoint,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    region: REGION,
    directory,
    settings: (overrides = {}) => ({
      endpoint,
      region: REGION,
      accessKey: ACCESS_KEY,
      secretKey: SECRET_KEY,
      pathStyle: true,
      partSizeBytes: 5 * 1024 * 1024,
      ...overrides,
    }),
    createBucket: (name) => client.makeBucket(name, REGION),
    pendingUploads: (bucket) => pendingUploads(path.join(directory, bucket, UPLOADS_DIR)),
    backdateUpload: (bucket, uploadId, initiated) => fs.utimes(path.join(directory, bucket, UPLOADS_DIR, uploadId, 'key'), initiated, initiated),
    stop: stopListening,
    start: () => listen(port),
    async close() {
      if (server.listening) await stopListening();
      s3rver.logger.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}

/** S3's DELETE /<bucket>/<key>?uploadId=<id> against s3rver's filesystem layout (path-style requests). */
async function abortMultipartUpload(directory: string, req: http.IncomingMessage, url: URL): Promise<{ status: number; code?: string }> {
  req.resume();
  const credential = /Credential=([^/,\s]+)/.exec(req.headers.authorization ?? '')?.[1];
  if (credential !== ACCESS_KEY) return { status: 403, code: credential ? 'InvalidAccessKeyId' : 'AccessDenied' };
  const [bucket = '', ...keyParts] = url.pathname.slice(1).split('/').map(decodeURIComponent);
  if (!(await exists(path.join(directory, bucket)))) return { status: 404, code: 'NoSuchBucket' };
  const uploadId = url.searchParams.get('uploadId') ?? '';
  const uploadDir = path.join(directory, bucket, UPLOADS_DIR, uploadId);
  const key = /^[0-9a-f]+$/.test(uploadId) ? await fs.readFile(path.join(uploadDir, 'key'), 'utf8').catch(() => undefined) : undefined;
  if (key === undefined || key !== keyParts.join('/')) return { status: 404, code: 'NoSuchUpload' };
  await fs.rm(uploadDir, { recursive: true, force: true });
  return { status: 204 };
}

interface ListedUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

/**
 * S3's GET /<bucket>?uploads (ListMultipartUploads) over s3rver's layout: uploads in key
 * order (then upload id), filtered by prefix, rolled up at the delimiter into
 * CommonPrefixes, started after key-marker (and, for that key, after upload-id-marker),
 * at most max-uploads (1000) uploads and prefixes together.
 */
async function listMultipartUploads(directory: string, req: http.IncomingMessage, url: URL): Promise<{ xml: string } | { status: number; code: string }> {
  req.resume();
  const credential = /Credential=([^/,\s]+)/.exec(req.headers.authorization ?? '')?.[1];
  if (credential !== ACCESS_KEY) return { status: 403, code: credential ? 'InvalidAccessKeyId' : 'AccessDenied' };
  const bucket = decodeURIComponent(url.pathname.slice(1).replace(/\/$/, ''));
  if (!(await exists(path.join(directory, bucket)))) return { status: 404, code: 'NoSuchBucket' };
  const query = (name: string) => url.searchParams.get(name) ?? '';
  const [prefix, delimiter, keyMarker, uploadIdMarker] = ['prefix', 'delimiter', 'key-marker', 'upload-id-marker'].map(query) as [string, string, string, string];
  const maxText = url.searchParams.get('max-uploads');
  const maxUploads = maxText === null ? 1000 : Math.min(1000, Number(maxText));
  if (!Number.isInteger(maxUploads) || maxUploads < 0) return { status: 400, code: 'InvalidArgument' };

  const uploadsDir = path.join(directory, bucket, UPLOADS_DIR);
  const all: ListedUpload[] = [];
  for (const uploadId of await fs.readdir(uploadsDir).catch(() => [] as string[])) {
    const keyFile = path.join(uploadsDir, uploadId, 'key');
    const key = await fs.readFile(keyFile, 'utf8').catch(() => undefined);
    // A directory s3rver made for a part sent after its upload was gone is no upload.
    if (key === undefined || !key.startsWith(prefix)) continue;
    all.push({ key, uploadId, initiated: (await fs.stat(keyFile)).mtime });
  }
  all.sort((a, b) => (a.key === b.key ? compare(a.uploadId, b.uploadId) : compare(a.key, b.key)));

  // Each upload, or the common prefix it rolls up into, in key order; a prefix once.
  type Entry = { upload: ListedUpload } | { commonPrefix: string };
  const entries: Entry[] = [];
  for (const upload of all) {
    const cut = delimiter ? upload.key.indexOf(delimiter, prefix.length) : -1;
    if (cut >= 0) {
      const commonPrefix = upload.key.slice(0, cut + delimiter.length);
      const previous = entries.at(-1);
      if (compare(commonPrefix, keyMarker) > 0 && !(previous && 'commonPrefix' in previous && previous.commonPrefix === commonPrefix)) entries.push({ commonPrefix });
      continue;
    }
    const after = keyMarker === '' || compare(upload.key, keyMarker) > 0 || (upload.key === keyMarker && uploadIdMarker !== '' && compare(upload.uploadId, uploadIdMarker) > 0);
    if (after) entries.push({ upload });
  }
  const page = entries.slice(0, maxUploads);
  const truncated = entries.length > page.length;
  const last = page.at(-1);
  const element = (name: string, value: string) => `<${name}>${escapeXml(value)}</${name}>`;
  const owner = `<ID>${ACCESS_KEY}</ID><DisplayName>${ACCESS_KEY}</DisplayName>`;
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    element('Bucket', bucket),
    element('KeyMarker', keyMarker),
    element('UploadIdMarker', uploadIdMarker),
    element('NextKeyMarker', last ? ('upload' in last ? last.upload.key : last.commonPrefix) : ''),
    element('NextUploadIdMarker', last && 'upload' in last ? last.upload.uploadId : ''),
    ...(delimiter ? [element('Delimiter', delimiter)] : []),
    element('Prefix', prefix),
    element('MaxUploads', String(maxUploads)),
    element('IsTruncated', String(truncated)),
    ...page.map((entry) =>
      'upload' in entry
        ? `<Upload>${element('Key', entry.upload.key)}${element('UploadId', entry.upload.uploadId)}<Initiator>${owner}</Initiator><Owner>${owner}</Owner><StorageClass>STANDARD</StorageClass>${element('Initiated', entry.upload.initiated.toISOString())}</Upload>`
        : `<CommonPrefixes>${element('Prefix', entry.commonPrefix)}</CommonPrefixes>`,
    ),
    '</ListMultipartUploadsResult>',
  ].join('');
  return { xml };
}

/** Byte order, as S3 sorts keys (UTF-8 binary). */
function compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function respondXml(res: http.ServerResponse, xml: string): void {
  res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) }).end(xml);
}

function respond(res: http.ServerResponse, status: number, code?: string, message = code ?? ''): void {
  if (!code) {
    res.writeHead(status).end();
    return;
  }
  const escaped = message.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`);
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escaped}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
}

async function pendingUploads(uploadsDir: string): Promise<PendingUpload[]> {
  const ids = await fs.readdir(uploadsDir).catch(() => [] as string[]);
  return Promise.all(
    ids.sort().map(async (uploadId) => {
      const dir = path.join(uploadsDir, uploadId);
      const files = await fs.readdir(dir);
      const parts = await Promise.all(
        files
          .filter((file) => /^\d+$/.test(file))
          .map(async (file) => ({ number: Number(file), size: (await fs.stat(path.join(dir, file))).size })),
      );
      const key = await fs.readFile(path.join(dir, 'key'), 'utf8').catch(() => undefined);
      return { uploadId, key, parts: parts.sort((a, b) => a.number - b.number) };
    }),
  );
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}
