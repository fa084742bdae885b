/** GraphiQL served from the installed package: a working page without internet, only where enabled. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';

let app: TestApp;
let page: string;

beforeAll(async () => {
  app = await startTestApp({ graphiql: true });
  const response = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  page = await response.text();
});
afterAll(() => app.close());

/** The page's markup with the contents of its <script> and <style> elements left out. */
const markup = () => page.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, '<script></script>').replace(/<style\b[^>]*>[\s\S]*?<\/style>/g, '<style></style>');

describe('the GraphiQL page', () => {
  it('carries its title and the inlined GraphiQL bundle, not a placeholder', () => {
    expect(page).toContain('<title>vsnap</title>');
    expect(page).not.toContain('__TITLE__');
    // The bundle itself is in the page (several MB), and is started with vsnap's options.
    expect(page).toContain('YogaGraphiQL.renderYogaGraphiQL(');
    expect(page.length).toBeGreaterThan(1_000_000);
    expect(page).toContain(JSON.stringify({ title: 'vsnap', headers: JSON.stringify({ Authorization: 'Bearer <token>' }) }));
  });

  it('loads no script, style, icon or worker from another server', () => {
    const attributes = [...markup().matchAll(/\s(?:src|href)\s*=\s*"([^"]*)"/g)].map((match) => match[1]!);
    expect(attributes.length).toBeGreaterThan(0);
    for (const value of attributes) expect(value.slice(0, 40)).not.toMatch(/^(https?:)?\/\//i);
    // Anywhere in the page, scripts included: no URL of a resource (the CDN page fetched these from unpkg).
    expect(page.match(/https?:\/\/[^"'\s)\\`]+\.(?:m?js|css|ico|woff2?|ttf|otf|png|svg|gif|jpe?g)(?=["'\s)?#\\`])/gi)).toBeNull();
    expect(page).not.toMatch(/unpkg\.com|jsdelivr|cdnjs/);
    expect(page).not.toMatch(/@import|url\(\s*["']?https?:/);
  });

  it('is rendered once and served the same to every request', async () => {
    const again = await (await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } })).text();
    expect(again).toBe(page);
  });
});

describe('GraphiQL switched off', () => {
  it('is not served: a browser gets no page', async () => {
    const off = await startTestApp({ graphiql: false });
    try {
      const response = await fetch(`${off.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(406);
      expect(await response.text()).not.toContain('<html');
    } finally {
      await off.close();
    }
  });
});
