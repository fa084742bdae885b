import { readFileSync } from 'node:fs';

/** vsnap's version, from package.json (written into every archive's manifest). */
export const VSNAP_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
