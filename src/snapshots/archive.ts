/**
 * The snapshot archive: a tar.gz streamed straight from the cluster's API to
 * whoever reads `stream` (the uploader), one page of one resource in memory at
 * a time. Layout:
 *
 *   manifest.json                       first: cluster, time, versions, resource types
 *   resources/<group|core>/<version>/<resource>/<namespace|_cluster>/<name>.json
 *   volumes.json                        last: the volume-snapshot results
 */
import { createHash } from 'node:crypto';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack as tarPack, type Pack } from 'tar-stream';
import {
  ClusterAccessError,
  resourceKey,
  serverLabel,
  type ClusterReader,
  type KubeObject,
  type ResourceType,
} from '../kube/cluster-reader.ts';
import type { Logger } from '../logger.ts';

export const ARCHIVE_FORMAT_VERSION = 1;

export interface ArchiveOptions {
  reader: ClusterReader;
  /** Written into manifest.json: recovery adopts an object only if its manifest names the snapshot. */
  snapshotId: string;
  clusterName: string;
  takenAt: Date;
  vsnapVersion: string;
  /** Objects per list request. */
  pageSize: number;
  /** Awaited once every resource is written; its result becomes volumes.json. */
  volumes?: () => Promise<unknown[]> | unknown[];
  signal?: AbortSignal;
  logger?: Logger;
}

export interface SkippedResource {
  /** `secrets`, `deployments.apps`. */
  resource: string;
  reason: string;
}

export interface ArchiveSummary {
  objectCount: number;
  /** Objects written per resource key, exact. */
  countsByResource: Record<string, number>;
  skipped: SkippedResource[];
  /** Hex SHA-256 of the gzip bytes, i.e. of the stored object. */
  sha256: string;
  sizeBytes: number;
}

export interface ClusterArchive {
  /** The tar.gz bytes; destroyed with the cause if the archive cannot be completed. */
  stream: Readable;
  /** Settles after the last byte has been read from `stream`. */
  done: Promise<ArchiveSummary>;
}

export interface ManifestResource extends ResourceType {
  /** Directory of this resource's entries. */
  path: string;
  /**
   * Objects at discovery time (a `limit=1` list's remainingItemCount + its item), not the
   * number written: tar needs an entry's size before its bytes, so the manifest must be
   * complete before any object is read, and listing everything twice would double the
   * load. The exact counts are in the snapshot's record (ArchiveSummary). Null when the
   * server gave no count.
   */
  countAtDiscovery: number | null;
}

export interface ArchiveManifest {
  formatVersion: typeof ARCHIVE_FORMAT_VERSION;
  /** The snapshot this archive belongs to (absent in archives of vsnap before it was recorded). */
  snapshotId: string;
  cluster: string;
  takenAt: string;
  vsnapVersion: string;
  resources: ManifestResource[];
  /** Resources left out because the snapshot's credentials may not list them. */
  skipped: SkippedResource[];
}

const PROBE_CONCURRENCY = 8;
const COALESCED_CHUNK_BYTES = 64 * 1024;

export function resourcePath(type: ResourceType): string {
  return `resources/${type.group || 'core'}/${type.version}/${type.resource}`;
}

/** Entry name of one object; `_cluster` cannot clash with a namespace (those are DNS labels). */
export function objectEntryName(type: ResourceType, object: KubeObject): string {
  return `${resourcePath(type)}/${object.metadata.namespace || '_cluster'}/${object.metadata.name}.json`;
}

export function writeClusterArchive(options: ArchiveOptions): ClusterArchive {
  const pack = tarPack();
  const tap = new Sha256Tap();
  const stopped = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stopped.signal]) : stopped.signal;

  // A reader that stops early (failed upload) must stop the listing too.
  tap.once('close', () => {
    if (!tap.readableEnded) stopped.abort(new Error('archive stream closed before its end'));
  });
  // Its errors reach the reader through `tap`; unheard, streamx would throw them.
  pack.on('error', () => undefined);
  pipeline(Readable.from(pack, { objectMode: false }), new ChunkCoalescer(), createGzip(), tap, (error) => {
    if (error) stopped.abort(error);
  });

  const written = writeEntries(pack, options, signal).then(
    (counts) => {
      pack.finalize();
      return counts;
    },
    (error: unknown) => {
      const cause = error instanceof Error ? error : new Error(String(error));
      tap.destroy(cause);
      pack.destroy(cause);
      throw cause;
    },
  );
  const done = Promise.all([written, finished(tap)]).then(([counts]) => ({
    ...counts,
    sha256: tap.digest(),
    sizeBytes: tap.bytes,
  }));
  // Callers learn of failures through `stream` as well; don't crash on an unobserved `done`.
  done.catch(() => undefined);
  return { stream: tap, done };
}

type Counts = Pick<ArchiveSummary, 'objectCount' | 'countsByResource' | 'skipped'>;

async function writeEntries(pack: Pack, options: ArchiveOptions, signal: AbortSignal): Promise<Counts> {
  const { reader, takenAt, logger } = options;
  const types = await reader.discover(signal);
  const probed = await mapConcurrently(types, PROBE_CONCURRENCY, (type) => probe(reader, type, signal));
  const skipped: SkippedResource[] = probed.flatMap((p) => (p.skipped ? [p.skipped] : []));
  const readable = probed.flatMap((p) => (p.skipped ? [] : [p]));
  if (types.length > 0 && readable.length === 0) {
    throw new ClusterAccessError('forbidden', `${serverLabel(reader.server)}: forbidden: cannot list any resource (${skipped[0]?.reason})`, reader.server);
  }
  for (const s of skipped) logger?.warn({ resource: s.resource }, `not archived: ${s.reason}`);

  const manifest: ArchiveManifest = {
    formatVersion: ARCHIVE_FORMAT_VERSION,
    snapshotId: options.snapshotId,
    cluster: options.clusterName,
    takenAt: takenAt.toISOString(),
    vsnapVersion: options.vsnapVersion,
    resources: readable.map((p) => p.manifest),
    skipped: [...skipped],
  };
  await writeEntry(pack, 'manifest.json', manifest, takenAt);

  const countsByResource: Record<string, number> = {};
  let objectCount = 0;
  for (const { type } of readable) {
    const key = resourceKey(type);
    let count = 0;
    try {
      for await (const object of reader.list(type, { pageSize: options.pageSize, signal })) {
        signal.throwIfAborted();
        await writeEntry(pack, objectEntryName(type, object), object, takenAt);
        count += 1;
      }
    } catch (error) {
      // Forbidden after some objects are written would leave a resource half in the archive.
      if (!(isForbidden(error) && count === 0)) throw error;
      skipped.push({ resource: key, reason: error.message });
      logger?.warn({ resource: key }, `not archived: ${error.message}`);
      continue;
    }
    countsByResource[key] = count;
    objectCount += count;
  }
  if (Object.keys(countsByResource).length === 0 && types.length > 0) {
    throw new ClusterAccessError('forbidden', `Kubernetes API ${reader.server}: forbidden: cannot list any resource`, reader.server);
  }

  const volumes = options.volumes ? await abortable(Promise.resolve(options.volumes()), signal) : [];
  await writeEntry(pack, 'volumes.json', volumes, takenAt);
  return { objectCount, countsByResource, skipped };
}

type Probe = { type: ResourceType; manifest: ManifestResource; skipped?: undefined } | { skipped: SkippedResource };

async function probe(reader: ClusterReader, type: ResourceType, signal: AbortSignal): Promise<Probe> {
  try {
    const countAtDiscovery = await reader.estimateCount(type, signal);
    return { type, manifest: { ...type, path: resourcePath(type), countAtDiscovery } };
  } catch (error) {
    if (!isForbidden(error)) throw error;
    return { skipped: { resource: resourceKey(type), reason: error.message } };
  }
}

function isForbidden(error: unknown): error is ClusterAccessError {
  return error instanceof ClusterAccessError && error.kind === 'forbidden';
}

/** Resolves once tar-stream has taken the entry's bytes, i.e. when the gzip side wants more. */
function writeEntry(pack: Pack, name: string, content: unknown, mtime: Date): Promise<void> {
  const body = Buffer.from(JSON.stringify(content));
  return new Promise((resolve, reject) => {
    const sink = pack.entry({ name, size: body.byteLength, mtime, mode: 0o644 }, body, (error) =>
      error ? reject(error) : resolve(),
    );
    // The callback reports the failure; an unheard streamx 'error' event would crash the process.
    sink.on('error', () => undefined);
  });
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function mapConcurrently<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Joins tar-stream's many small pushes (a 512-byte header, a small body, its padding)
 * into 64 KiB chunks before gzip: each zlib write is a thread-pool round trip, and one
 * per push made gzip four times slower than tar itself.
 */
class ChunkCoalescer extends Transform {
  private parts: Buffer[] = [];
  private size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.parts.push(chunk);
    this.size += chunk.byteLength;
    if (this.size < COALESCED_CHUNK_BYTES) return callback();
    callback(null, this.joinParts());
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.size > 0 ? this.joinParts() : undefined);
  }

  private joinParts(): Buffer {
    const joined = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return joined;
  }
}

/** Passes bytes through unchanged, hashing and counting them. */
class Sha256Tap extends Transform {
  private readonly hash = createHash('sha256');
  private hex: string | undefined;
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.hex = this.hash.digest('hex');
    callback();
  }

  digest(): string {
    if (this.hex === undefined) throw new Error('archive not finished');
    return this.hex;
  }
}
