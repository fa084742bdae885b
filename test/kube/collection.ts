/**
 * Compact storage of one resource's objects (JSON strings, not object graphs)
 * and chunked lists over sorted snapshots with continue tokens shaped like a
 * real apiserver's (base64 JSON {v, rv, start}).
 */
import type { Labels, Predicate, Selectable } from './selectors.ts';
import { errors } from './status.ts';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

/** One stored version of an object; immutable, shared by the collection, list snapshots and the watch history. */
export class StoredObject implements Selectable {
  /** Sort/lookup key: namespace, NUL, name — sorts exactly by (namespace, name). */
  readonly key: string;
  constructor(
    readonly namespace: string,
    readonly name: string,
    readonly rv: number,
    /** The object without apiVersion/kind. */
    readonly json: string,
    readonly labels: Labels,
  ) {
    this.key = `${namespace}\0${name}`;
  }

  object(): KubeObject & { metadata: ObjectMeta } {
    return JSON.parse(this.json) as KubeObject & { metadata: ObjectMeta };
  }
}

export interface ListPage {
  rv: number;
  items: StoredObject[];
  continue?: string;
  remainingItemCount?: number;
}

export interface PageOptions {
  namespace?: string;
  limit?: number;
  continueToken?: string;
  predicate?: Predicate;
}

/** Index of the first item whose key is >= key (or > key when `after`). */
function bound(items: StoredObject[], key: string, after: boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = items[mid]!.key;
    if (k < key || (after && k === key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Collection {
  readonly items = new Map<string, StoredObject>();
  private sorted: StoredObject[] | undefined;
  /** Sorted arrays handed out to chunked lists, by list resourceVersion (a few, newest last). */
  private readonly snapshots = new Map<number, StoredObject[]>();

  constructor(private readonly namespaced: boolean) {}

  /** Sorted by (namespace, name); the array is never mutated, so it doubles as a snapshot. */
  sortedItems(): StoredObject[] {
    this.sorted ??= [...this.items.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return this.sorted;
  }

  inNamespace(namespace: string | undefined): StoredObject[] {
    const all = this.sortedItems();
    if (namespace === undefined || !this.namespaced) return all;
    return all.slice(bound(all, `${namespace}\0`, false), bound(all, `${namespace}\u0001`, false));
  }

  set(item: StoredObject): void {
    this.items.set(item.key, item);
    this.sorted = undefined;
  }

  delete(key: string): void {
    this.items.delete(key);
    this.sorted = undefined;
  }

  /**
   * One chunk of a list at `currentRv`; a continue token resumes from the
   * snapshot the first chunk was cut from, or answers 410 once its
   * resourceVersion is below `compactedRv`.
   */
  page(options: PageOptions, currentRv: number, compactedRv: number): ListPage {
    let listRv = currentRv;
    let items: StoredObject[];
    let startAfter: string | undefined;
    if (options.continueToken) {
      const token = decodeContinue(options.continueToken);
      if (token.rv < compactedRv) throw errors.expiredContinue(encodeContinue({ rv: currentRv, start: token.start }));
      listRv = token.rv;
      startAfter = token.start;
      items = this.snapshots.get(token.rv) ?? this.sortedItems();
    } else {
      items = this.sortedItems();
      if (options.limit) this.remember(listRv, items);
    }
    let lo = 0;
    let hi = items.length;
    if (options.namespace !== undefined && this.namespaced) {
      lo = bound(items, `${options.namespace}\0`, false);
      hi = bound(items, `${options.namespace}\u0001`, false);
    }
    if (startAfter !== undefined) lo = Math.max(lo, bound(items, startAfter, true));
    const page: ListPage = { rv: listRv, items: [] };
    for (let i = lo; i < hi; i++) {
      const item = items[i]!;
      if (options.predicate && !options.predicate(item)) continue;
      page.items.push(item);
      if (options.limit && page.items.length >= options.limit && i + 1 < hi) {
        page.continue = encodeContinue({ rv: listRv, start: item.key });
        if (!options.predicate) page.remainingItemCount = hi - i - 1;
        break;
      }
    }
    return page;
  }

  private remember(rv: number, items: StoredObject[]): void {
    this.snapshots.set(rv, items);
    for (const old of this.snapshots.keys()) {
      if (this.snapshots.size <= 4) break;
      this.snapshots.delete(old);
    }
  }
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: token.start })).toString('base64');
}

function decodeContinue(raw: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as { v?: string; rv?: unknown; start?: unknown };
    if (parsed.v === 'meta.k8s.io/v1' && typeof parsed.rv === 'number' && typeof parsed.start === 'string') {
      return { rv: parsed.rv, start: parsed.start };
    }
  } catch {
    // fall through
  }
  throw errors.badRequest(`continue key is not valid: ${raw}`);
}
