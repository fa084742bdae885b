import type { GraphiQLOptions } from 'graphql-yoga';

/**
 * GraphiQL from the installed @graphql-yoga/render-graphiql: its scripts, styles and workers are
 * inlined, so the page references no CDN and works offline. The package (about 9 MB of script)
 * is loaded on the first request for the page, not at start-up, and the page is rendered once:
 * its options are the same for every request.
 */
export function offlineGraphiQL(): (options: GraphiQLOptions) => Promise<string> {
  let page: Promise<string> | undefined;
  return (options) =>
    (page ??= import('@graphql-yoga/render-graphiql').then(
      ({ renderGraphiQL }) => renderGraphiQL(options),
      (error: unknown) => {
        page = undefined; // a failed load is tried again on the next request
        throw error;
      },
    ));
}
