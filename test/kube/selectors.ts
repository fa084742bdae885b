/**
 * labelSelector and fieldSelector query parameters, compiled into predicates
 * over stored objects.
 */
import { errors } from './status.ts';

export type Labels = Record<string, string> | undefined;

/** What a selector may look at: labels directly, other fields through a lazily parsed object. */
export interface Selectable {
  namespace: string;
  name: string;
  labels: Labels;
  object(): Record<string, unknown>;
}

export type Predicate = (item: Selectable) => boolean;

type Requirement = (labels: Record<string, string>) => boolean;

/** Splits on commas outside parentheses: "a in (x,y),b" -> ["a in (x,y)", "b"]. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) terms.push(current.trim());
  return terms.filter(Boolean);
}

function labelRequirement(term: string): Requirement {
  const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const [, key = '', op, list = ''] = set;
    const values = new Set(list.split(',').map((v) => v.trim()));
    return op === 'in' ? (l) => key in l && values.has(l[key]!) : (l) => !(key in l) || !values.has(l[key]!);
  }
  const cmp = /^([\w./-]+)\s*(!=|==|=)\s*([\w./-]*)$/.exec(term);
  if (cmp) {
    const [, key = '', op, value = ''] = cmp;
    return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  const exists = /^(!?)([\w./-]+)$/.exec(term);
  if (exists) {
    const [, not, key = ''] = exists;
    return not ? (l) => !(key in l) : (l) => key in l;
  }
  throw errors.badRequest(`unable to parse requirement: invalid label selector term "${term}"`);
}

export function labelSelector(selector: string | null): Predicate | undefined {
  if (!selector?.trim()) return undefined;
  const requirements = splitTerms(selector).map(labelRequirement);
  return (item) => {
    const labels = item.labels ?? {};
    return requirements.every((r) => r(labels));
  };
}

function fieldValue(item: Selectable, field: string): string | undefined {
  if (field === 'metadata.name') return item.name;
  if (field === 'metadata.namespace') return item.namespace;
  let value: unknown = item.object();
  for (const part of field.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value === undefined || value === null ? undefined : String(value);
}

export function fieldSelector(selector: string | null): Predicate | undefined {
  if (!selector?.trim()) return undefined;
  const requirements = splitTerms(selector).map((term) => {
    const m = /^([\w.-]+)\s*(!=|==|=)\s*(.*)$/.exec(term);
    if (!m) throw errors.badRequest(`invalid field selector term "${term}"`);
    const [, field = '', op, value = ''] = m;
    return op === '!=' ? (i: Selectable) => fieldValue(i, field) !== value : (i: Selectable) => (fieldValue(i, field) ?? '') === value;
  });
  return (item) => requirements.every((r) => r(item));
}

export function combine(...predicates: (Predicate | undefined)[]): Predicate | undefined {
  const present = predicates.filter((p): p is Predicate => p !== undefined);
  if (present.length === 0) return undefined;
  return (item) => present.every((p) => p(item));
}
