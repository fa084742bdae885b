/**
 * The snapshot archive: a tar.gz streamed straight from the cluster's API to
 * whoever reads `stream` (the uploader). In memory at most: two pages (the one being
 * written and the next, already asked for) of each of the LIST_CONCURRENCY resources being
 * listed, whatever the cluster's size. Layout:
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
import { SNAPSHOT_GROUP } from '../kube/volume-plan.ts';
import { MANAGED_BY_LABEL } from '../kube/volume-snapshots.ts';

export const ARCHIVE_FORMAT_VERSION = 1;

/**
 * One below zlib's default (6, `tar czf`'s). bench:archive compresses the archive's tar of
 * 50,000 and 100,000 ConfigMaps at each level: 5 gives the same size as 6 (within 0.1 %) for
 * 3.0 instead of 3.6 µs of CPU per object; 4 is 1.6 % larger for no less; 1-3 save a further
 * 1.5 µs for 9-10 % more bytes, kept as long as the archive is. gzip runs in libuv's pool, off
 * the main thread (the archive's critical path), so its CPU shows when cores are busy.
 */
export const ARCHIVE_GZIP_LEVEL = 5;

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
  /** `<namespace>/<name>` of the VolumeSnapshots this snapshot creates: neither they nor their contents are archived. */
  ownVolumeSnapshots?: ReadonlySet<string>;
  signal?: AbortSignal;
  logger?: Logger;
}

export interface SkippedResource {
  /** '' for the core group. */
  group: string;
  /** Plural name: `secrets`, `deployments`. */
  resource: string;
  /** In vsnap's words: `forbidden (403)`, `not found (404)`. */
  reason: string;
}

/** `secrets: forbidden (403)`, `deployments.apps: not found (404)`: one resource of a snapshot's message. */
export const skippedResourceNote = (skipped: SkippedResource): string => `${resourceKey(skipped)}: ${skipped.reason}`;

/** Objects left out of every archive by rule, as the manifest states it. */
export interface ExcludedObjects {
  group: string;
  resource: string;
  /** The label selector the list was made with. */
  labelSelector: string;
  reason: string;
}

const NOT_VSNAP = `${MANAGED_BY_LABEL}!=vsnap`;

/**
 * vsnap's own objects never enter an archive: the temporary VolumeSnapshots it
 * creates while it takes volume snapshots, and their contents (restoring them
 * would take snapshots again). Contents are made by the snapshot controller,
 * which does not copy labels, so a content is also left out when it is bound to
 * a VolumeSnapshot of vsnap.
 */
export const EXCLUDED_OBJECTS: readonly ExcludedObjects[] = [
  { group: SNAPSHOT_GROUP, resource: 'volumesnapshots', labelSelector: NOT_VSNAP, reason: "vsnap's own temporary VolumeSnapshots" },
  {
    group: SNAPSHOT_GROUP,
    resource: 'volumesnapshotcontents',
    labelSelector: NOT_VSNAP,
    reason: "vsnap's own VolumeSnapshotContents, and every content bound to one of vsnap's VolumeSnapshots",
  },
];

const exclusionOf = (type: ResourceType): ExcludedObjects | undefined =>
  EXCLUDED_OBJECTS.find((rule) => rule.group === type.group && rule.resource === type.resource);

export interface ArchiveSummary {
  objectCount: number;
  /** Objects written per resource key, exact. */
  countsByResource: Record<string, number>;
  skipped: SkippedResource[];
  /** Hex SHA-256 of the gzip bytes, i.e. of the stored object. */
  sha256: string;
  sizeBytes: number;
}

/** How far the archive has got, read at any time (the engine reports it as the snapshot's progress). */
export interface ArchiveProgress {
  /** Readable resource types listed so far (finished, or left out when refused part-way). */
  resourceTypesDone: number;
  /** Readable resource types to list; 0 until discovery and probing have answered. */
  resourceTypesTotal: number;
  objectsWritten: number;
  /** Compressed bytes produced so far. */
  bytesWritten: number;
}

export interface ClusterArchive {
  /** The tar.gz bytes; destroyed with the cause if the archive cannot be completed. */
  stream: Readable;
  /** Settles after the last byte has been read from `stream`. */
  done: Promise<ArchiveSummary>;
  /** The figures so far; cheap, never throws. */
  progress(): ArchiveProgress;
}

type ListingProgress = Omit<ArchiveProgress, 'bytesWritten'>;

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
  /** Resources left out because the snapshot's credentials may not list them, or the server no longer serves them. */
  skipped: SkippedResource[];
  /** Objects left out by rule: vsnap's own. */
  excluded: ExcludedObjects[];
}

const PROBE_CONCURRENCY = 8;
/** Resource types listed at once: the one being written and the next ones' first pages. */
const LIST_CONCURRENCY = 4;
const COALESCED_CHUNK_BYTES = 256 * 1024;

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
  // The pack's errors reach the reader through TarChunks and `tap`.
  pipeline(new TarChunks(pack), createGzip({ level: ARCHIVE_GZIP_LEVEL }), tap, (error) => {
    if (error) stopped.abort(error);
  });

  const listing: ListingProgress = { resourceTypesDone: 0, resourceTypesTotal: 0, objectsWritten: 0 };
  const written = writeEntries(pack, options, signal, listing).then(
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
  return { stream: tap, done, progress: () => ({ ...listing, bytesWritten: tap.bytes }) };
}

type Counts = Pick<ArchiveSummary, 'objectCount' | 'countsByResource' | 'skipped'>;

async function writeEntries(pack: Pack, options: ArchiveOptions, signal: AbortSignal, progress: ListingProgress): Promise<Counts> {
  const { reader, takenAt, logger } = options;
  const types = await reader.discover(signal);
  const probed = await mapConcurrently(types, PROBE_CONCURRENCY, (type) => probe(reader, type, signal));
  const skipped: SkippedResource[] = probed.flatMap((p) => (p.skipped ? [p.skipped] : []));
  const readable = probed.flatMap((p) => (p.skipped ? [] : [p]));
  if (types.length > 0 && readable.length === 0) {
    throw new ClusterAccessError('forbidden', `${serverLabel(reader.server)}: forbidden: cannot list any resource (${skipped[0]?.reason})`, reader.server);
  }
  for (const s of skipped) logger?.warn({ resource: resourceKey(s) }, `not archived: ${s.reason}`);

  const manifest: ArchiveManifest = {
    formatVersion: ARCHIVE_FORMAT_VERSION,
    snapshotId: options.snapshotId,
    cluster: options.clusterName,
    takenAt: takenAt.toISOString(),
    vsnapVersion: options.vsnapVersion,
    resources: readable.map((p) => p.manifest),
    skipped: [...skipped],
    excluded: EXCLUDED_OBJECTS.filter((rule) => types.some((type) => exclusionOf(type) === rule)),
  };
  await writeEntry(pack, 'manifest.json', manifest, takenAt);
  progress.resourceTypesTotal = readable.length;

  const countsByResource: Record<string, number> = {};
  let objectCount = 0;
  const listings = new Lookahead(
    readable.map(({ type }) => () => objectsOf(type, reader, types, options, signal)),
    LIST_CONCURRENCY,
  );
  try {
    for (const [index, { type }] of readable.entries()) {
      const key = resourceKey(type);
      let count = 0;
      try {
        for await (const object of listings.take(index)) {
          signal.throwIfAborted();
          await writeEntry(pack, objectEntryName(type, object), object, takenAt);
          count += 1;
          progress.objectsWritten += 1;
        }
      } catch (error) {
        // Refused after some objects are written would leave a resource half in the archive.
        const reason = count === 0 ? skipReason(error) : undefined;
        if (reason === undefined) throw error;
        skipped.push({ group: type.group, resource: type.resource, reason });
        logger?.warn({ resource: key }, `not archived: ${messageOf(error)}`);
        progress.resourceTypesDone += 1;
        continue;
      }
      progress.resourceTypesDone += 1;
      countsByResource[key] = count;
      objectCount += count;
    }
  } finally {
    listings.close();
  }
  if (Object.keys(countsByResource).length === 0 && types.length > 0) {
    throw new ClusterAccessError('forbidden', `Kubernetes API ${reader.server}: forbidden: cannot list any resource`, reader.server);
  }

  const volumes = options.volumes ? await abortable(Promise.resolve(options.volumes()), signal) : [];
  await writeEntry(pack, 'volumes.json', volumes, takenAt);
  return { objectCount, countsByResource, skipped };
}

/**
 * One resource's objects as they go into the archive: vsnap's own left out. The reader's
 * list itself when nothing is filtered: each layer of async generator costs every object a
 * round of promises.
 */
function objectsOf(
  type: ResourceType,
  reader: ClusterReader,
  types: readonly ResourceType[],
  options: ArchiveOptions,
  signal: AbortSignal,
): AsyncIterable<KubeObject> {
  const exclusion = exclusionOf(type);
  const listed = reader.list(type, { pageSize: options.pageSize, labelSelector: exclusion?.labelSelector, signal });
  if (!(exclusion && type.resource === 'volumesnapshotcontents')) return listed;
  return (async function* () {
    const keep = await notBoundToVsnap(reader, types, options, signal);
    for await (const object of listed) if (keep(object)) yield object;
  })();
}

/**
 * Lists resource types ahead of the one being written, at most `limit` at a time: the next
 * types' first pages are on their way (a remote server answers each request with latency)
 * while the current one is written. The archive's order stays the types' order, whatever the
 * answers' timing: a listing started early only holds its first page until its turn.
 */
class Lookahead {
  private readonly started = new Map<number, { iterator: AsyncIterator<KubeObject>; first?: Promise<IteratorResult<KubeObject>> }>();

  constructor(
    private readonly listings: readonly (() => AsyncIterable<KubeObject>)[],
    private readonly limit: number,
  ) {}

  /**
   * The objects of listing `index`: its first page's, then the rest of its iterator (no layer of
   * its own); starts the next `limit - 1` listings too. Take each index once, in order. A listing
   * left part-way is stopped by the loop that leaves it, or by `close`.
   */
  take(index: number): AsyncIterable<KubeObject> {
    for (let ahead = index; ahead < Math.min(this.listings.length, index + this.limit); ahead++) this.start(ahead);
    const listing = this.started.get(index);
    if (!listing?.first) throw new Error(`listing ${index} taken twice`);
    let first: Promise<IteratorResult<KubeObject>> | undefined = listing.first;
    listing.first = undefined;
    const stop = (): Promise<IteratorResult<KubeObject>> => {
      this.started.delete(index);
      void listing.iterator.return?.().catch(() => undefined);
      return Promise.resolve({ done: true, value: undefined });
    };
    const iterator: AsyncIterator<KubeObject> = {
      next: () => {
        const next = first ?? listing.iterator.next();
        first = undefined;
        return next;
      },
      return: stop,
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  /** Stops every listing started and not taken to its end. */
  close(): void {
    for (const { iterator } of this.started.values()) void iterator.return?.().catch(() => undefined);
    this.started.clear();
  }

  private start(index: number): void {
    const listing = this.listings[index];
    if (!listing || this.started.has(index)) return;
    const iterator = listing()[Symbol.asyncIterator]();
    const first = iterator.next();
    // Awaited when its turn comes, unless the archive fails first.
    first.catch(() => undefined);
    this.started.set(index, { iterator, first });
  }
}

/**
 * Whether a VolumeSnapshotContent is someone else's: not bound to a VolumeSnapshot of vsnap,
 * i.e. one this snapshot creates or one in the cluster labelled as vsnap's (an earlier run's).
 */
async function notBoundToVsnap(
  reader: ClusterReader,
  types: readonly ResourceType[],
  { ownVolumeSnapshots = new Set(), pageSize }: Pick<ArchiveOptions, 'ownVolumeSnapshots' | 'pageSize'>,
  signal: AbortSignal,
): Promise<(object: KubeObject) => boolean> {
  const vsnaps = new Set(ownVolumeSnapshots);
  const snapshots = types.find((type) => type.group === SNAPSHOT_GROUP && type.resource === 'volumesnapshots');
  if (snapshots) {
    try {
      for await (const object of reader.list(snapshots, { pageSize, labelSelector: `${MANAGED_BY_LABEL}=vsnap`, signal })) {
        vsnaps.add(`${object.metadata.namespace ?? ''}/${object.metadata.name}`);
      }
    } catch (error) {
      // Unreadable VolumeSnapshots: this snapshot's own names still apply.
      if (skipReason(error) === undefined) throw error;
    }
  }
  return (object) => {
    const ref = (object as { spec?: { volumeSnapshotRef?: { namespace?: unknown; name?: unknown } } }).spec?.volumeSnapshotRef;
    return !(typeof ref?.name === 'string' && vsnaps.has(`${typeof ref.namespace === 'string' ? ref.namespace : ''}/${ref.name}`));
  };
}

type Probe = { type: ResourceType; manifest: ManifestResource; skipped?: undefined } | { skipped: SkippedResource };

async function probe(reader: ClusterReader, type: ResourceType, signal: AbortSignal): Promise<Probe> {
  try {
    const countAtDiscovery = await reader.estimateCount(type, signal, exclusionOf(type)?.labelSelector);
    return { type, manifest: { ...type, path: resourcePath(type), countAtDiscovery } };
  } catch (error) {
    const reason = skipReason(error);
    if (reason === undefined) throw error;
    return { skipped: { group: type.group, resource: type.resource, reason } };
  }
}

/**
 * Why a resource that cannot be listed is left out rather than failing the snapshot: the
 * credentials may not list it (403), or the server no longer serves it (404: its CRD or
 * aggregated API went away since discovery). Anything else fails the snapshot.
 */
function skipReason(error: unknown): string | undefined {
  if (!(error instanceof ClusterAccessError)) return undefined;
  if (error.kind === 'forbidden') return 'forbidden (403)';
  if (error.status === 404) return 'not found (404)';
  return undefined;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

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
 * tar-stream's pack as a Node stream of 256 KiB chunks. Its many small pushes (a 512-byte
 * header, a small body, its padding) are copied as they come into the chunk being filled:
 * each zlib write is a thread-pool round trip (one per push made gzip four times slower than
 * tar itself), and each step through a Node stream costs a push more than its copy.
 */
class TarChunks extends Readable {
  private chunk = Buffer.allocUnsafe(COALESCED_CHUNK_BYTES);
  private size = 0;

  constructor(private readonly pack: Pack) {
    super();
    pack.on('data', (push) => this.add(push as Buffer));
    pack.on('end', () => {
      if (this.size > 0) this.push(this.chunk.subarray(0, this.size));
      this.push(null);
    });
    pack.on('error', (error: Error) => this.destroy(error));
  }

  override _read(): void {
    this.pack.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.pack.destroy(error ?? undefined);
    callback(error);
  }

  private add(push: Buffer): void {
    for (let offset = 0; offset < push.byteLength; ) {
      const copied = push.copy(this.chunk, this.size, offset);
      offset += copied;
      this.size += copied;
      if (this.size < COALESCED_CHUNK_BYTES) continue;
      const full = this.chunk;
      this.chunk = Buffer.allocUnsafe(COALESCED_CHUNK_BYTES);
      this.size = 0;
      // gzip is behind: tar-stream holds its pushes, its entries wait, and so does the listing.
      if (!this.push(full)) this.pack.pause();
    }
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
