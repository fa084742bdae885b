/**
 * Watch streams: newline-delimited JSON events over a chunked 200 response,
 * replayed from the store history after ?resourceVersion=N (or synthetic
 * ADDED events for everything when N is absent or "0"), an ERROR event with
 * a 410 Status when N is older than the history, bookmarks and timeoutSeconds.
 */
import type { ServerResponse } from 'node:http';
import { groupVersion, type ResourceDef } from './resources.ts';
import type { Predicate } from './selectors.ts';
import { errors, type KubeStatus } from './status.ts';
import type { KubeStore, StoreEvent, StoredObject, WatchEventType } from './store.ts';

export interface WatchRequest {
  def: ResourceDef;
  version: string;
  namespace?: string;
  predicate?: Predicate;
  /** The resourceVersion query parameter as given. */
  resourceVersion: string | null;
  timeoutSeconds?: number;
  bookmarks: boolean;
  bookmarkIntervalMs: number;
}

/** Open watch streams, so the server can end them all (close(), endWatches()). */
export class WatchHub {
  private readonly open = new Set<() => void>();

  get size(): number {
    return this.open.size;
  }

  endAll(): void {
    for (const end of [...this.open]) end();
  }

  serve(store: KubeStore, res: ServerResponse, request: WatchRequest): void {
    const { def, version, namespace, predicate } = request;
    const typePrefix = `{"apiVersion":${JSON.stringify(groupVersion(def.group, version))},"kind":${JSON.stringify(def.kind)},`;
    const typed = (item: StoredObject) => typePrefix + item.json.slice(1);
    const write = (type: WatchEventType | 'BOOKMARK' | 'ERROR', objectJson: string) => {
      res.write(`{"type":"${type}","object":${objectJson}}\n`);
    };
    const inScope = (item: StoredObject) => !def.namespaced || namespace === undefined || item.namespace === namespace;
    const matches = (item: StoredObject | undefined) => item !== undefined && inScope(item) && (!predicate || predicate(item));

    const send = (event: StoreEvent) => {
      if (event.resource.group !== def.group || event.resource.plural !== def.plural) return;
      const now = matches(event.object);
      if (event.type === 'MODIFIED') {
        // Like a real apiserver: an object moving out of (into) a selector is DELETED (ADDED) for that watch.
        const before = matches(event.previous);
        if (now && before) write('MODIFIED', typed(event.object));
        else if (now) write('ADDED', typed(event.object));
        else if (before) write('DELETED', typed(event.object));
      } else if (now) write(event.type, typed(event.object));
    };

    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
    res.flushHeaders();

    const rvParam = request.resourceVersion;
    if (rvParam && rvParam !== '0') {
      const from = Number(rvParam);
      const replay = Number.isInteger(from) ? store.eventsSince(from) : undefined;
      if (!replay) {
        const status: KubeStatus = Number.isInteger(from)
          ? errors.tooOldResourceVersion(from, store.compactedResourceVersion + 1)
          : errors.badRequest(`invalid resource version: ${rvParam}`).status;
        write('ERROR', JSON.stringify(status));
        res.end();
        return;
      }
      for (const event of replay) send(event);
    } else {
      for (const item of store.scan(def, namespace)) if (matches(item)) write('ADDED', typed(item));
    }

    const unsubscribe = store.on(send);
    let timeout: NodeJS.Timeout | undefined;
    let bookmarkTimer: NodeJS.Timeout | undefined;
    const end = () => {
      if (!this.open.delete(end)) return;
      unsubscribe();
      clearTimeout(timeout);
      clearTimeout(bookmarkTimer);
      if (!res.writableEnded) res.end();
    };
    this.open.add(end);
    res.on('close', end);
    if (request.timeoutSeconds !== undefined && request.timeoutSeconds > 0) {
      timeout = setTimeout(end, request.timeoutSeconds * 1000);
    }
    if (request.bookmarks) {
      const bookmark = () => {
        write('BOOKMARK', `${typePrefix}"metadata":{"resourceVersion":"${store.resourceVersion}"}}`);
        bookmarkTimer = setTimeout(bookmark, request.bookmarkIntervalMs);
      };
      bookmarkTimer = setTimeout(bookmark, request.bookmarkIntervalMs);
    }
  }
}
