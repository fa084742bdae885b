import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, mapAsyncIterator, type Plugin } from 'graphql-yoga';

/** graphql-js's hint: ` Did you mean "a", "b", or "c"?`, `… the enum value "X"?`, `… to use an inline fragment on "T"?`. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/**
 * Removes "Did you mean …" from every error of every result: suggestions let anyone map the
 * schema by guessing. graphql-armor's blockFieldSuggestion only rewrites validation errors, and
 * only the `Did you mean "…"` form: enum values and variable values keep their hints there.
 */
export function useHiddenSuggestions(): Plugin {
  return {
    onExecutionResult({ result, setResult }) {
      if (result === undefined) return;
      setResult(isAsyncIterable(result) ? mapAsyncIterator(result, withoutSuggestions) : withoutSuggestions(result));
    },
  };
}

export function withoutSuggestions<T extends Pick<ExecutionResult, 'errors'>>(result: T): T {
  // GraphQLError's message is an ordinary writable property (as armor rewrites it); the error keeps its class, path and extensions.
  for (const error of result.errors ?? []) {
    if (error.message.includes('Did you mean')) (error as { message: string }).message = error.message.replace(SUGGESTION, '');
  }
  return result;
}
