/**
 * The test S3 server's own additions to s3rver, spoken to over raw HTTP:
 * ListMultipartUploads answers S3's XML (prefix, delimiter, key-marker /
 * upload-id-marker paging, Initiated), and stop/start refuses connections
 * and then serves the same data on the same port.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../src/storage/index.ts';
import { startS3Server, type S3TestServer } from '../support/s3.ts';

let s3: S3TestServer;
let buckets = 0;

beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(() => s3?.close());

async function freshBucket(): Promise<string> {
  const bucket = `fake-${++buckets}`;
  await s3.createBucket(bucket);
  return bucket;
}

/** An upload begun through the real client, its key as given (the store adds no prefix at ''). */
async function begin(bucket: string, key: string): Promise<string> {
  const [prefix, name] = key.includes('/') ? [key.slice(0, key.lastIndexOf('/')), key.slice(key.lastIndexOf('/') + 1)] : ['', key];
  const store = new S3ObjectStore({ ...s3.settings(), bucket, prefix, allowSmallParts: true, partSizeBytes: 1024 });
  return (await store.beginUpload(name)).uploadId;
}

interface Listing {
  status: number;
  fields: Record<string, string>;
  uploads: { key: string; uploadId: string; initiated: string }[];
  prefixes: string[];
  body: string;
}

const AUTHORIZATION = 'AWS4-HMAC-SHA256 Credential=S3RVER/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0';

async function list(bucket: string, query: Record<string, string> = {}, authorization = AUTHORIZATION): Promise<Listing> {
  const search = new URLSearchParams(query).toString();
  const response = await fetch(`${s3.endpoint}/${bucket}?uploads${search ? `&${search}` : ''}`, { headers: { authorization } });
  const body = await response.text();
  const text = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? '';
  const top = body.replace(/<Upload>.*?<\/Upload>|<CommonPrefixes>.*?<\/CommonPrefixes>/g, '');
  const fields = Object.fromEntries(
    ['Bucket', 'KeyMarker', 'UploadIdMarker', 'NextKeyMarker', 'NextUploadIdMarker', 'Delimiter', 'Prefix', 'MaxUploads', 'IsTruncated', 'Code'].map((name) => [name, text(top, name)]),
  );
  const uploads = [...body.matchAll(/<Upload>(.*?)<\/Upload>/g)].map(([, xml]) => ({ key: text(xml!, 'Key'), uploadId: text(xml!, 'UploadId'), initiated: text(xml!, 'Initiated') }));
  const prefixes = [...body.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix><\/CommonPrefixes>/g)].map(([, prefix]) => prefix!);
  return { status: response.status, fields, uploads, prefixes, body };
}

describe('ListMultipartUploads', () => {
  it('lists uploads begun and neither completed nor aborted, in key order, with their Initiated time', async () => {
    const bucket = await freshBucket();
    const before = Date.now();
    const b = await begin(bucket, 'b.tar.gz');
    const a = await begin(bucket, 'a.tar.gz');
    const aborted = await begin(bucket, 'c.tar.gz');
    await new S3ObjectStore({ ...s3.settings(), bucket }).abortUpload('c.tar.gz', aborted);
    const done = new S3ObjectStore({ ...s3.settings(), bucket });
    await (await done.beginUpload('d.tar.gz')).write(Readable.from([Buffer.from('archive')]));

    const listing = await list(bucket);
    expect(listing.status).toBe(200);
    expect(listing.body).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\s*<ListMultipartUploadsResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/">/);
    expect(listing.fields).toMatchObject({ Bucket: bucket, KeyMarker: '', UploadIdMarker: '', Prefix: '', MaxUploads: '1000', IsTruncated: 'false' });
    expect(listing.uploads.map(({ key, uploadId }) => ({ key, uploadId }))).toEqual([
      { key: 'a.tar.gz', uploadId: a },
      { key: 'b.tar.gz', uploadId: b },
    ]);
    for (const upload of listing.uploads) {
      const initiated = Date.parse(upload.initiated);
      expect(upload.initiated).toBe(new Date(initiated).toISOString());
      expect(initiated).toBeGreaterThanOrEqual(before - 1_000);
      expect(initiated).toBeLessThanOrEqual(Date.now() + 1_000);
    }

    const then = new Date('2026-01-02T03:04:05.000Z');
    await s3.backdateUpload(bucket, a, then);
    expect((await list(bucket)).uploads.find((upload) => upload.uploadId === a)?.initiated).toBe(then.toISOString());
  });

  it('filters by prefix and rolls keys up to the delimiter into CommonPrefixes', async () => {
    const bucket = await freshBucket();
    const direct = await begin(bucket, 'team-a/x.tar.gz');
    await begin(bucket, 'team-a/deeper/y.tar.gz');
    await begin(bucket, 'team-a/deeper/z.tar.gz');
    await begin(bucket, 'team-b/x.tar.gz');

    const flat = await list(bucket, { prefix: 'team-a/', delimiter: '/' });
    expect(flat.fields).toMatchObject({ Prefix: 'team-a/', Delimiter: '/' });
    expect(flat.uploads.map((upload) => [upload.key, upload.uploadId])).toEqual([['team-a/x.tar.gz', direct]]);
    expect(flat.prefixes).toEqual(['team-a/deeper/']);

    const deep = await list(bucket, { prefix: 'team-a/' });
    expect(deep.uploads.map((upload) => upload.key)).toEqual(['team-a/deeper/y.tar.gz', 'team-a/deeper/z.tar.gz', 'team-a/x.tar.gz']);
    expect(deep.prefixes).toEqual([]);
  });

  it('pages with max-uploads, resuming after key-marker and, within that key, after upload-id-marker', async () => {
    const bucket = await freshBucket();
    // Three uploads of one key: a page boundary falls among them.
    const same = [await begin(bucket, 'k1'), await begin(bucket, 'k1'), await begin(bucket, 'k1')].sort();
    const k2 = await begin(bucket, 'k2');

    const first = await list(bucket, { 'max-uploads': '2' });
    expect(first.fields).toMatchObject({ IsTruncated: 'true', MaxUploads: '2', NextKeyMarker: 'k1', NextUploadIdMarker: same[1] });
    expect(first.uploads.map((upload) => upload.uploadId)).toEqual(same.slice(0, 2));

    const second = await list(bucket, { 'max-uploads': '2', 'key-marker': 'k1', 'upload-id-marker': same[1]! });
    expect(second.fields).toMatchObject({ IsTruncated: 'false', KeyMarker: 'k1', UploadIdMarker: same[1], NextKeyMarker: 'k2', NextUploadIdMarker: k2 });
    expect(second.uploads.map((upload) => [upload.key, upload.uploadId])).toEqual([['k1', same[2]], ['k2', k2]]);

    // key-marker alone starts after every upload of that key.
    expect((await list(bucket, { 'key-marker': 'k1' })).uploads.map((upload) => upload.uploadId)).toEqual([k2]);
  });

  it('counts CommonPrefixes towards max-uploads and does not repeat a prefix given as key-marker', async () => {
    const bucket = await freshBucket();
    await begin(bucket, 'a/one');
    await begin(bucket, 'a/two');
    const b = await begin(bucket, 'b');

    const first = await list(bucket, { delimiter: '/', 'max-uploads': '1' });
    expect(first.prefixes).toEqual(['a/']);
    expect(first.uploads).toEqual([]);
    expect(first.fields).toMatchObject({ IsTruncated: 'true', NextKeyMarker: 'a/', NextUploadIdMarker: '' });

    const second = await list(bucket, { delimiter: '/', 'max-uploads': '1', 'key-marker': 'a/' });
    expect(second.prefixes).toEqual([]);
    expect(second.uploads.map((upload) => upload.uploadId)).toEqual([b]);
    expect(second.fields.IsTruncated).toBe('false');
  });

  it('refuses a missing bucket, an unknown key and a bad max-uploads as S3 does', async () => {
    expect(await list('no-such-bucket')).toMatchObject({ status: 404, fields: { Code: 'NoSuchBucket' } });
    const bucket = await freshBucket();
    expect(await list(bucket, {}, AUTHORIZATION.replace('S3RVER', 'SOMEONE'))).toMatchObject({ status: 403, fields: { Code: 'InvalidAccessKeyId' } });
    expect(await list(bucket, {}, '')).toMatchObject({ status: 403, fields: { Code: 'AccessDenied' } });
    expect(await list(bucket, { 'max-uploads': '-1' })).toMatchObject({ status: 400, fields: { Code: 'InvalidArgument' } });
    expect(await list(bucket, { 'max-uploads': 'many' })).toMatchObject({ status: 400, fields: { Code: 'InvalidArgument' } });
    expect((await list(bucket, { 'max-uploads': '5000' })).fields.MaxUploads).toBe('1000');
  });
});

describe('stop and start', () => {
  it('refuses connections while stopped and serves the same objects on the same port after', async () => {
    const bucket = await freshBucket();
    const store = new S3ObjectStore({ ...s3.settings(), bucket });
    await (await store.beginUpload('kept.tar.gz')).write(Readable.from([Buffer.from('kept')]));

    await s3.stop();
    const refused = await store.stat('kept.tar.gz').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ reason: 'unreachable' });
    expect(String(refused)).toMatch(/ECONNREFUSED/);

    await s3.start();
    expect((await store.stat('kept.tar.gz'))?.size).toBe(4);
  });
});
