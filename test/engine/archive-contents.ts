/**
 * What an archive should hold, computed from the Kubernetes API test server's
 * store, and the entries it does hold, counted by name: an archive is
 * complete when every listable object is there exactly once.
 */
import { expect } from 'vitest';
import type { KubeTestServer } from '../kube/server.ts';
import { resourceType } from '../kube/resources.ts';
import type { ReadArchive } from './harness.ts';

/** Entry name → how many times the archive holds it (an object written twice shows 2). */
export function entryCounts(archive: ReadArchive): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of archive.entries) counts.set(entry.name, (counts.get(entry.name) ?? 0) + 1);
  return counts;
}

/**
 * The entry of every object the store holds for every listable resource (events
 * and create-only resources are never archived), minus `except` resource types
 * ("persistentvolumes", "snapshot.storage.k8s.io/volumesnapshots") and
 * objects `exclude` names.
 */
export function expectedEntries(kube: KubeTestServer, options: { except?: string[]; exclude?: (type: string, object: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } }) => boolean } = {}): string[] {
  const names: string[] = [];
  for (const def of kube.registry.all()) {
    const type = resourceType(def);
    if (!def.verbs.includes('list') || def.virtual || def.plural === 'events' || options.except?.includes(type)) continue;
    for (const object of kube.store.list(type)) {
      if (options.exclude?.(type, object)) continue;
      const namespace = def.namespaced ? object.metadata?.namespace : '_cluster';
      names.push(`resources/${def.group || 'core'}/${def.versions[0]}/${def.plural}/${namespace}/${object.metadata?.name}.json`);
    }
  }
  return names.sort();
}

/** Every expected object exactly once, and nothing else under resources/. */
export function expectComplete(archive: ReadArchive, expected: string[]): void {
  const counts = entryCounts(archive);
  const twice = [...counts].filter(([, count]) => count > 1).map(([name]) => name);
  expect(twice, 'entries written more than once').toEqual([]);
  const written = [...counts.keys()].filter((name) => name.startsWith('resources/')).sort();
  expect(written).toEqual(expected);
}
