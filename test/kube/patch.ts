/**
 * PATCH bodies: JSON merge patch (RFC 7386; strategic merge patch is treated
 * the same, which is right for everything but keyed lists) and JSON patch
 * (RFC 6902: add, remove, replace, test, copy, move).
 */
import { errors } from './status.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: unknown): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function mergePatch(target: unknown, patch: unknown): Json {
  if (!isObject(patch)) return patch as Json;
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

interface Operation {
  op: string;
  path: string;
  value?: Json;
  from?: string;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw errors.badRequest(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, parts: string[], path: string): { parent: Record<string, Json> | Json[]; key: string } {
  let node: Json = doc;
  for (const part of parts.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[Number(part)] : isObject(node) ? node[part] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') throw errors.badRequest(`jsonpatch: path "${path}" does not exist`);
    node = next;
  }
  if (node === null || typeof node !== 'object') throw errors.badRequest(`jsonpatch: path "${path}" does not exist`);
  return { parent: node, key: parts[parts.length - 1] ?? '' };
}

function read(doc: Json, path: string): Json {
  const parts = pointer(path);
  if (parts.length === 0) return doc;
  const { parent, key } = parentOf(doc, parts, path);
  const value = Array.isArray(parent) ? parent[Number(key)] : parent[key];
  if (value === undefined) throw errors.badRequest(`jsonpatch: path "${path}" does not exist`);
  return value;
}

function remove(doc: Json, path: string): void {
  const { parent, key } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else if (key in parent) delete parent[key];
  else throw errors.badRequest(`jsonpatch remove operation does not apply: doc is missing key: ${path}`);
}

function add(doc: Json, path: string, value: Json, replace: boolean): void {
  const { parent, key } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (replace) parent[index] = value;
    else parent.splice(index, 0, value);
  } else {
    if (replace && !(key in parent)) throw errors.badRequest(`jsonpatch replace operation does not apply: doc is missing key: ${path}`);
    parent[key] = value;
  }
}

export function jsonPatch(target: unknown, operations: unknown): Json {
  if (!Array.isArray(operations)) throw errors.badRequest('json patch must be an array of operations');
  const doc = structuredClone(target) as Json;
  for (const operation of operations as Operation[]) {
    const value = operation.value ?? null;
    switch (operation.op) {
      case 'add':
        add(doc, operation.path, value, false);
        break;
      case 'replace':
        add(doc, operation.path, value, true);
        break;
      case 'remove':
        remove(doc, operation.path);
        break;
      case 'test':
        if (JSON.stringify(read(doc, operation.path)) !== JSON.stringify(value)) throw errors.badRequest(`jsonpatch test operation failed at ${operation.path}`);
        break;
      case 'copy':
        add(doc, operation.path, structuredClone(read(doc, operation.from ?? '')), false);
        break;
      case 'move': {
        const moved = read(doc, operation.from ?? '');
        remove(doc, operation.from ?? '');
        add(doc, operation.path, moved, false);
        break;
      }
      default:
        throw errors.badRequest(`unexpected json patch operation "${operation.op}"`);
    }
  }
  return doc;
}

/** Applies a PATCH body according to its content type. */
export function applyPatch(target: unknown, contentType: string, body: unknown): Json {
  const type = contentType.split(';')[0]!.trim();
  if (type === 'application/json-patch+json') return jsonPatch(target, body);
  if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') return mergePatch(target, body);
  throw errors.unsupportedMediaType(type);
}
