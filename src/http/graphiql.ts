import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { GraphiQLOptions } from 'graphql-yoga';

/**
 * GraphiQL from the installed @graphql-yoga/render-graphiql: its scripts, styles and workers are
 * inlined, so the page references no CDN and works offline. The page (about 9 MB) is rendered
 * once: its options are the same for every request.
 */
export function offlineGraphiQL(): (options?: GraphiQLOptions) => string {
  let page: string | undefined;
  return (options) => (page ??= renderGraphiQL(options));
}
