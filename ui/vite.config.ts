import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/** What the first page may weigh, compressed: the goal. */
export const FIRST_PAGE_BUDGET_BYTES = 150 * 1024;

/**
 * Prints what the first page loads, gzip-compressed as vsnap serves it: index.html, the entry
 * chunk and every chunk and stylesheet it imports statically. Over the budget, the build fails.
 */
function firstPageSize(): Plugin {
  return {
    name: 'vsnap-first-page-size',
    apply: 'build',
    writeBundle(_options, bundle) {
      const files = new Map<string, Uint8Array | string>();
      const visit = (name: string) => {
        const item = bundle[name];
        if (!item || files.has(name)) return;
        if (item.type === 'asset') return void files.set(name, item.source);
        files.set(name, item.code);
        for (const imported of item.imports) visit(imported);
        for (const css of item.viteMetadata?.importedCss ?? []) visit(css);
      };
      for (const [name, item] of Object.entries(bundle)) {
        if (item.type === 'chunk' && item.isEntry) visit(name);
        if (item.type === 'asset' && name === 'index.html') files.set(name, item.source);
      }
      let total = 0;
      for (const source of files.values()) total += gzipSync(source, { level: 9 }).length;
      const line = `console first page: ${(total / 1024).toFixed(1)} KB compressed (gzip) in ${files.size} files; goal under ${FIRST_PAGE_BUDGET_BYTES / 1024} KB`;
      if (total > FIRST_PAGE_BUDGET_BYTES) this.error(line);
      this.info(line);
      process.stdout.write(`${line}\n`);
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  publicDir: false,
  logLevel: 'warn',
  plugins: [firstPageSize()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    // No inline scripts or styles: the page's Content-Security-Policy allows files from vsnap only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
