import { useState } from 'preact/hooks';
import { parseToken } from '../session.ts';

/** Paste a bearer token: the one `npm start` prints in development, or one from `npm run token`. */
export function SignInPage({ reason, signedIn, onSignIn, onSignOut }: { reason?: string; signedIn: boolean; onSignIn(token: string): void; onSignOut(): void }) {
  const [pasted, setPasted] = useState('');
  const [problem, setProblem] = useState<string>();
  const submit = (event: Event) => {
    event.preventDefault();
    const parsed = parseToken(pasted);
    if ('problem' in parsed) return setProblem(parsed.problem);
    onSignIn(parsed.token);
  };
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to vsnap</h1>
      {reason && (
        <p class="notice error" role="alert">
          {reason}
        </p>
      )}
      {signedIn ? (
        <p>
          You are signed in. <button type="button" onClick={onSignOut}>Sign out</button>
        </p>
      ) : (
        <form onSubmit={submit} noValidate>
          <label for="token">Bearer token</label>
          <p id="token-help" class="help">
            In development, the platform-admin token <code>npm start</code> prints, or one from <code>npm run -s token -- --project &lt;id&gt; --role admin</code>. It
            is kept in this tab only.
          </p>
          <textarea
            id="token"
            name="token"
            rows={4}
            autocomplete="off"
            spellcheck={false}
            aria-describedby={problem ? 'token-help token-problem' : 'token-help'}
            aria-invalid={problem ? true : undefined}
            value={pasted}
            onInput={(event) => setPasted(event.currentTarget.value)}
          />
          {problem && (
            <p id="token-problem" class="field-error" role="alert">
              {problem}
            </p>
          )}
          <button type="submit">Sign in</button>
        </form>
      )}
    </main>
  );
}
