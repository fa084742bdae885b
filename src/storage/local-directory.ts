/**
 * Where a LOCAL storage location may point: a directory under LOCAL_STORAGE_ROOT,
 * named relative to it in plain components, so no location can reach a file the
 * operator did not hand to vsnap.
 */
import path from 'node:path';
import { quoted } from '../errors.ts';
import { StorageError } from './errors.ts';

export const MAX_LOCAL_DIRECTORY_LENGTH = 255;
const MAX_COMPONENT_LENGTH = 100;
const COMPONENT = /^[A-Za-z0-9._-]+$/;
// C0, DEL and C1: a newline in a path forges log lines and confuses every tool that reads paths.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * What is wrong with `directory` as a LOCAL location's directory (relative to
 * the root, '' for the root itself), or undefined. Each input breaks the first
 * rule it meets, so the message names one thing to fix.
 */
export function localDirectoryProblem(directory: string): string | undefined {
  if (directory.length > MAX_LOCAL_DIRECTORY_LENGTH) return `must be at most ${MAX_LOCAL_DIRECTORY_LENGTH} characters`;
  if (CONTROL_CHARACTERS.test(directory)) return 'must not contain control characters';
  if (path.isAbsolute(directory)) {
    return 'must be relative to LOCAL_STORAGE_ROOT, not an absolute path';
  }
  if (directory === '') return undefined;
  const components = directory.split('/');
  if (components.includes('..')) return 'must not contain ".." (a location stays inside LOCAL_STORAGE_ROOT)';
  if (components.includes('')) return 'must not contain empty components ("//", or "/" at either end)';
  for (const component of components) {
    if (component.startsWith('.')) return `must not have a component starting with "." (${quoted(component)}): vsnap keeps its temporaries in dot-files`;
    if (component.length > MAX_COMPONENT_LENGTH) return `must not have a component longer than ${MAX_COMPONENT_LENGTH} characters`;
    if (!COMPONENT.test(component)) return `may hold only letters, digits, ".", "_" and "-" in each component (${quoted(component)})`;
  }
  return undefined;
}

/** True when `target` is `root` (relative '') or below it (both absolute and normalized). */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return !relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative);
}

/**
 * The absolute directory of a LOCAL location. Its directory is relative to the
 * root; an absolute one is a legacy storage target carried over by the
 * migration, usable only while it lies inside the root.
 */
export function localDirectoryPath(root: string, directory: string): string {
  if (path.isAbsolute(directory) && !CONTROL_CHARACTERS.test(directory)) {
    const resolved = path.resolve(directory);
    if (!isInside(root, resolved)) {
      throw new StorageError(
        'refused',
        `legacy directory ${JSON.stringify(directory)} is outside LOCAL_STORAGE_ROOT (${root}); move its archives under ${root} and set the location's directory relative to it`,
      );
    }
    return resolved;
  }
  const problem = localDirectoryProblem(directory);
  if (problem) throw new StorageError('invalid', `directory ${quoted(directory)} ${problem}`);
  return path.join(root, directory);
}
