/** Sends GraphQL to a gateway (or any endpoint) over HTTP, as a client of the supergraph would. */
import type { ExecutionResult } from 'graphql';

export type GatewayResponse<T> = ExecutionResult<T> & { status: number };

export async function postGraphQL<T>(url: string, query: string, variables: Record<string, unknown>, token: string | undefined): Promise<GatewayResponse<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as ExecutionResult<T>;
  return { ...body, status: response.status };
}
