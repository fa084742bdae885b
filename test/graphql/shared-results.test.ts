/**
 * useSharedSubscriptionResults through yoga's own SSE: subscribers that receive the same event
 * object share one execution when their document, operation, variables and access are the same,
 * and only then — a result is never handed to a subscriber of another access.
 */
import { createPubSub, createSchema, createYoga } from 'graphql-yoga';
import { afterEach, describe, expect, it } from 'vitest';
import { Viewer, type RolesClaim } from '../../src/auth/viewer.ts';
import { useSharedSubscriptionResults } from '../../src/graphql/shared-results.ts';

interface Tick {
  n: number;
}

const VIEWERS: Record<string, RolesClaim> = {
  alice: { platformAdmin: false, projects: { p1: 'admin', p2: 'member' } },
  // Alice's access in another order, under another name: the same access.
  bob: { platformAdmin: false, projects: { p2: 'member', p1: 'admin' } },
  carol: { platformAdmin: false, projects: { p1: 'admin' } },
  dave: { platformAdmin: true, projects: {} },
};

function testServer() {
  const pubSub = createPubSub<{ tick: [Tick] }>();
  const executions: string[] = [];
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: /* GraphQL */ `
        type Query { ok: Boolean }
        type Subscription { ticks: Tick! }
        type Tick { n: Int! seenBy(label: String): String! }
      `,
      resolvers: {
        Subscription: { ticks: { subscribe: () => pubSub.subscribe('tick'), resolve: (tick: Tick) => tick } },
        Tick: {
          seenBy: (tick: Tick, args: { label?: string }, context: { viewer: Viewer }) => {
            executions.push(`${tick.n}:${context.viewer.subject}`);
            return `${args.label ?? ''}${context.viewer.accessKey}`;
          },
        },
      },
    }),
    context: ({ request }) => {
      const subject = request.headers.get('x-subject')!;
      return { viewer: new Viewer(subject, VIEWERS[subject]!) };
    },
    plugins: [useSharedSubscriptionResults()],
  });
  return { yoga, pubSub, executions };
}

type Server = ReturnType<typeof testServer>;
const open: AbortController[] = [];
afterEach(() => open.splice(0).forEach((controller) => controller.abort()));

/** An SSE subscription through yoga.fetch; `results` fills as `next` events arrive. */
async function subscribe({ yoga }: Server, subject: string, query: string, variables: Record<string, unknown> = {}) {
  const controller = new AbortController();
  open.push(controller);
  const response = await yoga.fetch('http://vsnap/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-subject': subject },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const results: { data?: { ticks: { n: number; seenBy: string } } }[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buffered = '';
    const reader = response.body!.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      buffered += decoder.decode(chunk.value, { stream: true });
      for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
        const message = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = /^event: next\ndata: (.*)$/m.exec(message)?.[1];
        if (data) results.push(JSON.parse(data));
      }
    }
  })().catch(() => undefined);
  return results;
}

const TICKS = 'subscription { ticks { n seenBy } }';

async function until(check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5_000; !check(); await new Promise((resolve) => setTimeout(resolve, 5))) {
    if (Date.now() > deadline) throw new Error('timed out');
  }
}

describe('shared subscription results', () => {
  it('executes each event once per access: same roles share (whoever holds them), other roles get their own result', async () => {
    const server = testServer();
    const received = Object.fromEntries(await Promise.all(Object.keys(VIEWERS).map(async (subject) => [subject, await subscribe(server, subject, TICKS)] as const)));
    // Subscribed: the event source has a listener per subscriber.
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.pubSub.publish('tick', { n: 1 });
    server.pubSub.publish('tick', { n: 2 });
    await until(() => Object.values(received).every((results) => results.length === 2));

    const p1Admin = JSON.stringify([['p1', 'admin'], ['p2', 'member']]);
    expect(received.alice!.map((r) => r.data!.ticks)).toEqual([
      { n: 1, seenBy: p1Admin },
      { n: 2, seenBy: p1Admin },
    ]);
    expect(received.bob!.map((r) => r.data!.ticks)).toEqual(received.alice!.map((r) => r.data!.ticks));
    expect(received.carol!.map((r) => r.data!.ticks.seenBy)).toEqual([JSON.stringify([['p1', 'admin']]), JSON.stringify([['p1', 'admin']])]);
    expect(received.dave!.map((r) => r.data!.ticks.seenBy)).toEqual(['platform-admin', 'platform-admin']);
    // Three accesses, two events: six executions, not eight; alice's and bob's ran once, for one of them.
    expect(server.executions).toHaveLength(6);
    for (const n of [1, 2]) {
      const forAliceAndBob = server.executions.filter((run) => run === `${n}:alice` || run === `${n}:bob`);
      expect(forAliceAndBob).toHaveLength(1);
    }
  });

  it('keeps documents, operations and variables apart: only subscribers of the same one share', async () => {
    const server = testServer();
    const withLabel = 'subscription ($label: String) { ticks { n seenBy(label: $label) } }';
    const a = await subscribe(server, 'alice', withLabel, { label: 'a:' });
    const b = await subscribe(server, 'bob', withLabel, { label: 'b:' });
    const c = await subscribe(server, 'bob', withLabel, { label: 'a:' });
    const d = await subscribe(server, 'alice', 'subscription Named { ticks { n seenBy } }');
    const e = await subscribe(server, 'alice', TICKS);
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.pubSub.publish('tick', { n: 7 });
    await until(() => [a, b, c, d, e].every((results) => results.length === 1));
    const access = JSON.stringify([['p1', 'admin'], ['p2', 'member']]);
    expect([a, b, c, d, e].map((results) => results[0]!.data!.ticks.seenBy)).toEqual([`a:${access}`, `b:${access}`, `a:${access}`, access, access]);
    // a and c share (same variables, same access); d and e are different documents.
    expect(server.executions).toHaveLength(4);
  });

  it('answers bad variables as yoga does without sharing, coded BAD_USER_INPUT', async () => {
    const server = testServer();
    const response = await server.yoga.fetch('http://vsnap/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-subject': 'alice' },
      body: JSON.stringify({ query: 'subscription ($label: String) { ticks { seenBy(label: $label) } }', variables: { label: 5 } }),
    });
    const text = await response.text();
    expect(text).toContain('"code":"BAD_USER_INPUT"');
    expect(text).toContain('String cannot represent a non string value: 5');
  });
});
