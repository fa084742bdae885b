/** One graphql-ws operation through yoga's envelop: parsed, validated and run as an HTTP request's would be. */
import { GraphQLError, type ExecutionArgs, type GraphQLFormattedError } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Viewer } from '../auth/viewer.ts';
import type { Context } from '../context.ts';
import { boundedMessage, TokenExpiredError } from '../errors.ts';
import { withoutSuggestions } from './suggestions.ts';

/** What a graphql-ws operation's context is made from (server.ts's context function reads it). */
export interface SocketInitialContext {
  viewer: Viewer;
  transport: 'graphql-ws';
}

type Enveloped = ReturnType<YogaServerInstance<Record<string, unknown>, Context>['getEnveloped']>;
type Run = Pick<Enveloped, 'execute' | 'subscribe'>;

/** The enveloped execute/subscribe of each prepared operation, by its context value. */
const runs = new WeakMap<object, Run>();

/** The envelop functions `args` was prepared with (graphql-ws's execute and subscribe call this). */
export function envelopedOperation(args: ExecutionArgs): Run {
  const run = typeof args.contextValue === 'object' && args.contextValue !== null ? runs.get(args.contextValue) : undefined;
  if (!run) throw new Error('a graphql-ws operation that prepareOperation did not prepare');
  return run;
}

export interface OperationLimits {
  maxDocumentBytes: number;
}

/**
 * Parses and validates `payload` with envelop's plugins (armor's limits, bounded messages) and
 * makes its context; errors before execution come back as the operation's `error` message, coded
 * as yoga codes them over HTTP (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, DOCUMENT_TOO_LARGE).
 */
export async function prepareOperation(
  yoga: YogaServerInstance<Record<string, unknown>, Context>,
  initial: SocketInitialContext,
  payload: SubscribePayload,
  limits: OperationLimits,
): Promise<ExecutionArgs | GraphQLError[]> {
  const bytes = Buffer.byteLength(payload.query, 'utf8');
  if (bytes > limits.maxDocumentBytes) {
    return [
      new GraphQLError(`the GraphQL document has ${bytes} bytes, more than the limit of ${limits.maxDocumentBytes}`, {
        extensions: { code: 'DOCUMENT_TOO_LARGE' },
      }),
    ];
  }
  const { schema, parse, validate, contextFactory, execute, subscribe } = yoga.getEnveloped({ ...initial, params: payload });
  let document;
  try {
    document = parse(payload.query);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return [new GraphQLError(boundedMessage(error.message), { extensions: { ...error.extensions, code: error.extensions.code ?? 'GRAPHQL_PARSE_FAILED' } })];
  }
  const errors = validate(schema, document);
  if (errors.length > 0) return [...errors];
  const contextValue = await contextFactory();
  runs.set(contextValue, { execute, subscribe });
  return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
}

/** The error a caller whose token has expired gets for an operation. */
export function tokenExpired(): GraphQLError {
  const error = new TokenExpiredError('the token expired: connect again with a new token');
  return new GraphQLError(error.message, { extensions: { code: error.code } });
}

/** Errors as graphql-ws sends them: without yoga's HTTP-only `http` extension, and without suggestions unless enabled. */
export function formattedErrors(errors: readonly GraphQLError[], fieldSuggestions: boolean): GraphQLFormattedError[] {
  const shown = fieldSuggestions ? errors : withoutSuggestions({ errors: [...errors] }).errors;
  return shown.map((error) => {
    const { http: _http, ...extensions } = error.extensions;
    const json = error.toJSON();
    return { ...json, extensions: Object.keys(extensions).length > 0 ? extensions : undefined };
  });
}
