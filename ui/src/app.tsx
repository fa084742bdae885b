/** The console's shell: sign-in, the GraphQL client for the signed-in token, the live-connection notice and the pages. */
import { Provider } from '@urql/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { createConsoleClient, type Connection } from './client.ts';
import { ClusterPage } from './pages/cluster.tsx';
import { ClustersPage } from './pages/clusters.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { SnapshotPage } from './pages/snapshot.tsx';
import { Link, navigate, paths, useRoute } from './router.tsx';
import { forgetToken, saveToken, signOutReason, storedToken } from './session.ts';

export function App() {
  const [token, setToken] = useState(storedToken);
  const route = useRoute();

  const signOut = (reason?: string) => {
    forgetToken(reason);
    setToken(undefined);
    navigate(paths.signIn(), { replace: true });
  };
  const client = useMemo(() => (token ? createConsoleClient(token, signOut) : undefined), [token]);
  useEffect(() => () => client?.dispose(), [client]);

  if (!client || route.page === 'sign-in') {
    return (
      <SignInPage
        reason={token ? undefined : signOutReason()}
        signedIn={Boolean(token)}
        onSignIn={(pasted) => {
          saveToken(pasted);
          setToken(pasted);
          navigate(paths.clusters(), { replace: true });
        }}
        onSignOut={() => signOut()}
      />
    );
  }
  return (
    <Provider value={client.urql}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <nav aria-label="Console">
          <Link href={paths.clusters()} class="brand">
            vsnap
          </Link>
          <Link href={paths.clusters()}>Virtual clusters</Link>
        </nav>
        <button type="button" class="link" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <ConnectionNotice onConnection={client.onConnection} />
      <main id="main" tabIndex={-1}>
        {route.page === 'clusters' && <ClustersPage />}
        {route.page === 'cluster' && <ClusterPage id={route.id} />}
        {route.page === 'snapshot' && <SnapshotPage id={route.id} />}
        {route.page === 'not-found' && (
          <p>
            No such page. <Link href={paths.clusters()}>See the virtual clusters.</Link>
          </p>
        )}
      </main>
    </Provider>
  );
}

/** "Reconnecting…" while the live connection is down; live views catch up on their own once it is back. */
function ConnectionNotice({ onConnection }: { onConnection: (listener: (state: Connection) => void) => () => void }) {
  const [state, setState] = useState<Connection>('connected');
  useEffect(() => onConnection(setState), [onConnection]);
  return (
    <div class="connection" role="status" aria-live="polite">
      {state === 'reconnecting' && <p class="notice warning">Reconnecting to vsnap… live updates resume where they left off.</p>}
    </div>
  );
}
