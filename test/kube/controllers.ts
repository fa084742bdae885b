/**
 * The in-process controllers every apiserver-plus-controller-manager has:
 * CRDs become servable (and Established) when created and vanish with their
 * objects when deleted; deleting a namespace deletes what is in it.
 */
import type { CrdSpec } from './resources.ts';
import type { KubeStore, StoreEvent } from './store.ts';

function crdSpec(spec: unknown): CrdSpec | undefined {
  const s = spec as Partial<CrdSpec> | undefined;
  if (!s?.group || !s.names?.plural || !s.names.kind || !Array.isArray(s.versions) || s.versions.length === 0) return undefined;
  return s as CrdSpec;
}

function onCrd(store: KubeStore, event: StoreEvent): void {
  const name = event.object.name;
  if (event.type === 'DELETED') {
    const removed = store.registry.removeCrd(name);
    if (removed) store.deleteAll(removed);
    return;
  }
  const crd = event.object.object();
  const spec = crdSpec(crd.spec);
  if (!spec) return;
  store.registry.applyCrd(name, spec);
  const status = crd.status as { conditions?: { type: string; status: string }[] } | undefined;
  if (status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  store.modify('apiextensions.k8s.io/customresourcedefinitions', name, undefined, (obj) => {
    obj.status = {
      acceptedNames: spec.names,
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now },
      ],
      storedVersions: spec.versions.filter((v) => v.storage).map((v) => v.name),
    };
  });
}

function onNamespaceDeleted(store: KubeStore, namespace: string): void {
  for (const def of store.registry.all()) {
    if (!def.namespaced) continue;
    for (const item of store.scan(def, namespace)) store.delete(def, item.name, item.namespace);
  }
}

/** Installs the controllers; returns the function that removes them. */
export function installCoreControllers(store: KubeStore): () => void {
  return store.on((event) => {
    const { group, plural } = event.resource;
    if (group === 'apiextensions.k8s.io' && plural === 'customresourcedefinitions') onCrd(store, event);
    else if (group === '' && plural === 'namespaces' && event.type === 'DELETED') onNamespaceDeleted(store, event.object.name);
  });
}
