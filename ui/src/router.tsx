/** A small history router: the console's pages live under /ui/, which vsnap answers with index.html. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/ui';

export type Route =
  | { page: 'clusters' }
  | { page: 'cluster'; id: string }
  | { page: 'snapshot'; id: string }
  | { page: 'sign-in' }
  | { page: 'not-found' };

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(`${BASE}/`) ? pathname.slice(BASE.length + 1) : '';
  const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'clusters' };
  if (parts.length === 1 && parts[0] === 'sign-in') return { page: 'sign-in' };
  if (parts.length === 2 && parts[0] === 'clusters') return { page: 'cluster', id: parts[1]! };
  if (parts.length === 2 && parts[0] === 'snapshots') return { page: 'snapshot', id: parts[1]! };
  return { page: 'not-found' };
}

export const paths = {
  clusters: () => `${BASE}/`,
  cluster: (id: string) => `${BASE}/clusters/${encodeURIComponent(id)}`,
  snapshot: (id: string) => `${BASE}/snapshots/${encodeURIComponent(id)}`,
  signIn: () => `${BASE}/sign-in`,
};

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((listener) => listener()));

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.pathname) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((listener) => listener());
}

export function useRoute(): Route {
  const [pathname, setPathname] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPathname(location.pathname);
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return parseRoute(pathname);
}

/** An ordinary link (open in a new tab, copy) that routes in place on a plain click. */
export function Link({ href, children, class: className, 'aria-label': label }: { href: string; children: ComponentChildren; class?: string; 'aria-label'?: string }) {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} class={className} aria-label={label}>
      {children}
    </a>
  );
}
