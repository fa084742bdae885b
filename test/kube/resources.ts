/**
 * The resource registry of the test apiserver: built-in resources, resources
 * added by CustomResourceDefinitions, and lookups by path, kind and the short
 * "type" strings used everywhere in test/kube ("configmaps", "apps/deployments").
 */

export interface ResourceDef {
  /** '' for the core ("legacy") group. */
  group: string;
  /** Served versions, preferred first. */
  versions: string[];
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  /** Subresources listed in discovery as "<plural>/<sub>". */
  subresources: string[];
  /** Served like a CRD: list items keep apiVersion/kind (real unstructured lists do). */
  unstructured: boolean;
  /** Accepted on create but never stored (bindings). */
  virtual?: boolean;
  /** Name of the CustomResourceDefinition that defines it. */
  crd?: string;
}

/** "configmaps" for core, "apps/deployments" for a group: the key used by faults.forbidden and the store. */
export function resourceType(def: Pick<ResourceDef, 'group' | 'plural'>): string {
  return def.group ? `${def.group}/${def.plural}` : def.plural;
}

export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Splits "apps/v1" into ["apps", "v1"] and "v1" into ["", "v1"]. */
export function splitApiVersion(apiVersion: string): [group: string, version: string] {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function def(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceDef> = {},
): ResourceDef {
  return {
    group,
    versions: [version],
    plural,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    verbs: ALL_VERBS,
    subresources: [],
    unstructured: false,
    ...extra,
  };
}

export function builtinResources(): ResourceDef[] {
  const snap = 'snapshot.storage.k8s.io';
  return [
    def('', 'v1', 'namespaces', 'Namespace', false, {
      shortNames: ['ns'],
      subresources: ['status', 'finalize'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    }),
    def('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
    def('', 'v1', 'secrets', 'Secret', true),
    def('', 'v1', 'services', 'Service', true, {
      shortNames: ['svc'],
      subresources: ['status'],
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    }),
    def('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
    def('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, { shortNames: ['pvc'], subresources: ['status'] }),
    def('', 'v1', 'persistentvolumes', 'PersistentVolume', false, { shortNames: ['pv'], subresources: ['status'] }),
    def('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
    def('', 'v1', 'pods', 'Pod', true, { shortNames: ['po'], categories: ['all'], subresources: ['status'] }),
    def('', 'v1', 'bindings', 'Binding', true, { verbs: ['create'], virtual: true }),
    def('apps', 'v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] }),
    def('apps', 'v1', 'statefulsets', 'StatefulSet', true, { shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'] }),
    def('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, { shortNames: ['sc'] }),
    // In real clusters these three come from CRDs, so they are served unstructured.
    def(snap, 'v1', 'volumesnapshots', 'VolumeSnapshot', true, { shortNames: ['vs'], subresources: ['status'], unstructured: true }),
    def(snap, 'v1', 'volumesnapshotcontents', 'VolumeSnapshotContent', false, {
      shortNames: ['vsc', 'vscs'],
      subresources: ['status'],
      unstructured: true,
    }),
    def(snap, 'v1', 'volumesnapshotclasses', 'VolumeSnapshotClass', false, { shortNames: ['vsclass', 'vsclasses'], unstructured: true }),
    def('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, {
      shortNames: ['crd', 'crds'],
      subresources: ['status'],
    }),
  ];
}

/** The parts of a CustomResourceDefinition the registry reads. */
export interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: { plural: string; singular?: string; kind: string; listKind?: string; shortNames?: string[]; categories?: string[] };
  versions: { name: string; served?: boolean; storage?: boolean; subresources?: { status?: object; scale?: object } }[];
}

export class ResourceRegistry {
  private readonly defs = new Map<string, ResourceDef>();

  constructor(defs: ResourceDef[] = builtinResources()) {
    for (const d of defs) this.defs.set(resourceType(d), d);
  }

  all(): ResourceDef[] {
    return [...this.defs.values()];
  }

  /** By type string: "configmaps", "apps/deployments". */
  byType(type: string): ResourceDef | undefined {
    return this.defs.get(type);
  }

  /** Resolves a type string or throws, for direct store use in tests. */
  require(type: string): ResourceDef {
    const found = this.defs.get(type);
    if (!found) throw new Error(`unknown resource type "${type}" (use "configmaps" or "<group>/<plural>")`);
    return found;
  }

  /** By URL parts; undefined unless the version is served. */
  lookup(group: string, version: string, plural: string): ResourceDef | undefined {
    const found = this.defs.get(resourceType({ group, plural }));
    return found?.versions.includes(version) ? found : undefined;
  }

  byKind(apiVersion: string, kind: string): ResourceDef | undefined {
    const [group, version] = splitApiVersion(apiVersion);
    for (const d of this.defs.values()) {
      if (d.group === group && d.kind === kind && d.versions.includes(version)) return d;
    }
    return undefined;
  }

  /** Groups (excluding core) in registration order with their served versions. */
  groups(): { name: string; versions: string[] }[] {
    const groups = new Map<string, string[]>();
    for (const d of this.defs.values()) {
      if (!d.group) continue;
      const versions = groups.get(d.group) ?? [];
      for (const v of d.versions) if (!versions.includes(v)) versions.push(v);
      groups.set(d.group, versions);
    }
    return [...groups].map(([name, versions]) => ({ name, versions }));
  }

  /** Registers (or re-registers) the resource a CRD defines; returns it. */
  applyCrd(name: string, spec: CrdSpec): ResourceDef {
    const served = spec.versions.filter((v) => v.served !== false);
    const storage = served.find((v) => v.storage) ?? served[0];
    const ordered = storage ? [storage, ...served.filter((v) => v !== storage)] : served;
    const subresources = new Set<string>();
    for (const v of served) {
      if (v.subresources?.status) subresources.add('status');
      if (v.subresources?.scale) subresources.add('scale');
    }
    const resource: ResourceDef = {
      group: spec.group,
      versions: ordered.map((v) => v.name),
      plural: spec.names.plural,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      kind: spec.names.kind,
      listKind: spec.names.listKind ?? `${spec.names.kind}List`,
      namespaced: spec.scope !== 'Cluster',
      verbs: ALL_VERBS,
      subresources: [...subresources],
      unstructured: true,
      crd: name,
    };
    if (spec.names.shortNames) resource.shortNames = spec.names.shortNames;
    if (spec.names.categories) resource.categories = spec.names.categories;
    this.defs.set(resourceType(resource), resource);
    return resource;
  }

  /** Unregisters the resource defined by the named CRD; returns it. */
  removeCrd(name: string): ResourceDef | undefined {
    for (const [key, d] of this.defs) {
      if (d.crd === name) {
        this.defs.delete(key);
        return d;
      }
    }
    return undefined;
  }
}
