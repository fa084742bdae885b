/**
 * Legacy (non-aggregated) discovery documents: /version, /api, /api/v1, /apis,
 * /apis/<group> and /apis/<group>/<version>, built from the registry.
 */
import { createHash } from 'node:crypto';
import { groupVersion, type ResourceDef, type ResourceRegistry } from './resources.ts';

export interface ApiResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

export function versionInfo() {
  return {
    major: '1',
    minor: '31',
    gitVersion: 'v1.31.0-vsnap-test',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-08-13T00:00:00Z',
    goVersion: 'go1.22.5',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(name: string, versions: string[]) {
  const entries = versions.map((version) => ({ groupVersion: groupVersion(name, version), version }));
  return { name, versions: entries, preferredVersion: entries[0]! };
}

export function apiGroupList(registry: ResourceRegistry) {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: registry.groups().map((g) => apiGroup(g.name, g.versions)) };
}

/** /apis/<group>; undefined when no resource is served in the group. */
export function apiGroupDocument(registry: ResourceRegistry, group: string) {
  const found = registry.groups().find((g) => g.name === group);
  return found ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(found.name, found.versions) } : undefined;
}

function subresourceEntry(d: ResourceDef, sub: string): ApiResource {
  const base = { name: `${d.plural}/${sub}`, singularName: '', namespaced: d.namespaced };
  if (sub === 'scale') return { ...base, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] };
  if (sub === 'finalize') return { ...base, kind: d.kind, verbs: ['update'] };
  return { ...base, kind: d.kind, verbs: ['get', 'patch', 'update'] };
}

/** /api/v1 or /apis/<group>/<version>; undefined when nothing is served there. */
export function apiResourceList(registry: ResourceRegistry, group: string, version: string) {
  const defs = registry.all().filter((d) => d.group === group && d.versions.includes(version));
  if (defs.length === 0) return undefined;
  const resources: ApiResource[] = [];
  for (const d of defs) {
    const entry: ApiResource = {
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs,
      storageVersionHash: createHash('sha256').update(`${d.group}/${d.plural}`).digest('base64').slice(0, 11),
    };
    if (d.shortNames) entry.shortNames = d.shortNames;
    if (d.categories) entry.categories = d.categories;
    resources.push(entry);
    for (const sub of d.subresources) resources.push(subresourceEntry(d, sub));
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}
