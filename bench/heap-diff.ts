/**
 * What grew between two V8 heap snapshots (`v8.writeHeapSnapshot`): self sizes and counts summed
 * by kind (an object's constructor, a closure's function, or the node type), largest growth first.
 * For bench/fanout.ts's BENCH_HEAP_SNAPSHOTS; prints figures, changes nothing.
 */
import { readFile } from 'node:fs/promises';

interface Totals {
  count: number;
  bytes: number;
}

interface HeapSnapshotFile {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

async function totalsOf(file: string): Promise<Map<string, Totals>> {
  const heap = JSON.parse(await readFile(file, 'utf8')) as HeapSnapshotFile;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const totals = new Map<string, Totals>();
  for (let i = 0; i < heap.nodes.length; i += fields.length) {
    const type = types[heap.nodes[i + typeAt]!]!;
    const kind = type === 'object' || type === 'closure' ? `${type} ${heap.strings[heap.nodes[i + nameAt]!]}` : type;
    const entry = totals.get(kind) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += heap.nodes[i + sizeAt]!;
    totals.set(kind, entry);
  }
  return totals;
}

/** The `top` kinds that grew most from `before` to `after`, per `per` units (e.g. per subscription). */
export async function heapGrowth(before: string, after: string, per: number, top = 20): Promise<string[]> {
  const [a, b] = [await totalsOf(before), await totalsOf(after)];
  const rows = [...b].map(([kind, { count, bytes }]) => ({ kind, count: count - (a.get(kind)?.count ?? 0), bytes: bytes - (a.get(kind)?.bytes ?? 0) }));
  rows.sort((x, y) => y.bytes - x.bytes);
  return rows
    .slice(0, top)
    .map((row) => `${(row.bytes / per).toFixed(0).padStart(7)} B ${(row.count / per).toFixed(1).padStart(6)} × ${row.kind.slice(0, 90)}`);
}
