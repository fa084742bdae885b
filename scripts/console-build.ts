/**
 * Builds the web console (ui/ → ui/dist, served by vsnap at /ui).
 *   node --import tsx scripts/console-build.ts            build now
 *   node --import tsx scripts/console-build.ts --if-stale  build only when ui/dist is missing or older than a source (npm start)
 *   node --import tsx scripts/console-build.ts --watch [-- <command>]  rebuild on every change, running <command> beside (npm run dev)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const UI = fileURLToPath(new URL('../ui/', import.meta.url));
const BUILT = path.join(UI, 'dist', 'index.html');
const SOURCES = ['index.html', 'vite.config.ts', 'src'];

/** The newest modification time among the console's sources; 0 when there are none (an image without ui/src). */
async function newestSource(): Promise<number> {
  let newest = 0;
  const visit = async (entry: string) => {
    const stat = await fs.stat(entry).catch(() => undefined);
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const child of await fs.readdir(entry)) await visit(path.join(entry, child));
    } else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const source of SOURCES) await visit(path.join(UI, source));
  return newest;
}

async function isStale(): Promise<boolean> {
  const built = await fs.stat(BUILT).catch(() => undefined);
  if (!built) return true;
  return (await newestSource()) > built.mtimeMs;
}

// Vite sets NODE_ENV=production while it builds: the server run beside it keeps the caller's environment.
const callerEnvironment = { ...process.env };
// The same bundle whatever the caller's NODE_ENV (vitest sets "test"): production code only.
process.env.NODE_ENV = 'production';
const mode = process.argv[2];
if (mode === '--if-stale' && !(await isStale())) process.exit(0);

const vite = await import('vite').catch(() => undefined);
if (!vite) {
  // Production images install no build tools; they carry ui/dist from their build stage.
  console.error(await fs.stat(BUILT).then(() => 'vsnap: vite is not installed; serving the console as built', () => 'vsnap: the console is not built and vite is not installed: /ui answers 503'));
  process.exit(0);
}
const configFile = path.join(UI, 'vite.config.ts');
if (mode === '--watch') {
  const watcher = (await vite.build({ configFile, build: { watch: {} } })) as { close(): Promise<void> };
  // `--watch -- <command>`: runs the server beside the watcher; a signal reaches both, and both end together.
  const command = process.argv.slice(process.argv.indexOf('--') + 1);
  if (process.argv.includes('--') && command.length > 0) {
    const server = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env: callerEnvironment });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.kill(signal));
    server.on('exit', async (code) => {
      await watcher.close();
      process.exit(code ?? 0);
    });
  }
} else {
  await vite.build({ configFile });
}
