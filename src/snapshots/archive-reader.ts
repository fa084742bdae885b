/**
 * Reading a stored archive back: its manifest (the first tar entry, without
 * reading the rest), and one pass over the whole object for what the snapshot
 * row records — size and sha256 of the bytes, objects per resource.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { z } from 'zod';
import { resourceKey } from '../kube/cluster-reader.ts';

/** What recovery needs of manifest.json; the rest of it is not checked here. */
const manifestShape = z.object({
  formatVersion: z.number(),
  snapshotId: z.string().optional(),
  cluster: z.string(),
  resources: z.array(z.object({ group: z.string(), resource: z.string(), path: z.string() })),
  /** The resources it could not hold: an adopted snapshot records them as its skippedResources. */
  skipped: z.array(z.object({ group: z.string(), resource: z.string(), reason: z.string() })).catch([]),
});
export type StoredManifest = z.infer<typeof manifestShape>;

/** A manifest lists every resource type; far below this even for thousands of CRDs. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

export class UnreadableArchiveError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreadableArchiveError';
  }
}

/** manifest.json from the start of a tar.gz; `source` is destroyed once it is read. */
export async function readArchiveManifest(source: Readable): Promise<StoredManifest> {
  const unpack = extract();
  const feeding = pipeline(source, createGunzip(), unpack).catch((error: unknown) => error);
  try {
    for await (const entry of unpack) {
      if (entry.header.name !== 'manifest.json') throw new UnreadableArchiveError(`its first entry is ${JSON.stringify(entry.header.name)}, not manifest.json`);
      const body = await readEntry(entry, MAX_MANIFEST_BYTES);
      const parsed = manifestShape.safeParse(parseJson(body));
      if (!parsed.success) throw new UnreadableArchiveError(`manifest.json is not a vsnap manifest (${parsed.error.issues[0]?.message})`);
      return parsed.data;
    }
    const failure = await feeding;
    throw new UnreadableArchiveError(failure ? `not a tar.gz (${messageOf(failure)})` : 'the archive is empty');
  } catch (error) {
    if (error instanceof UnreadableArchiveError) throw error;
    // A read failure of the store itself is not the archive's fault: the caller tells them apart.
    if (source.errored) throw source.errored;
    throw new UnreadableArchiveError(`not a tar.gz (${messageOf(error)})`, { cause: error });
  } finally {
    source.destroy();
    unpack.destroy();
    await feeding;
  }
}

export interface ScannedArchive {
  sizeBytes: number;
  sha256: string;
  objectCount: number;
  /** Objects per resource key, as ArchiveSummary counts them. */
  countsByResource: Record<string, number>;
}

/** Streams the whole archive once: hashes its bytes and counts its objects by the manifest's resource paths. */
export async function scanArchive(source: Readable, manifest: StoredManifest): Promise<ScannedArchive> {
  const tap = new HashingTap();
  const unpack = extract();
  const keyOfPath = new Map(manifest.resources.map((resource) => [resource.path, resourceKey(resource)]));
  const countsByResource: Record<string, number> = {};
  let objectCount = 0;
  const feeding = pipeline(source, tap, createGunzip(), unpack);
  feeding.catch(() => undefined);
  try {
    for await (const entry of unpack) {
      // resources/<group>/<version>/<resource>/<namespace|_cluster>/<name>.json
      const key = keyOfPath.get(entry.header.name.split('/').slice(0, 4).join('/'));
      if (key !== undefined) {
        countsByResource[key] = (countsByResource[key] ?? 0) + 1;
        objectCount += 1;
      }
      entry.resume();
    }
    await feeding;
  } catch (error) {
    if (source.errored) throw source.errored;
    throw new UnreadableArchiveError(`not a complete tar.gz (${messageOf(error)})`, { cause: error });
  } finally {
    source.destroy();
  }
  return { sizeBytes: tap.bytes, sha256: tap.digest(), objectCount, countsByResource };
}

async function readEntry(entry: AsyncIterable<unknown>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of entry) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new UnreadableArchiveError(`manifest.json is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UnreadableArchiveError(`manifest.json is not JSON (${messageOf(error)})`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

class HashingTap extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
