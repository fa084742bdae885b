import type http from 'node:http';
import net from 'node:net';

/** Once closing, a connection without a request for this long (counted from the start of closing at the earliest) is closed. */
const IDLE_GRACE_MS = 500;
const SWEEP_EVERY_MS = 50;
/** The listener stays open until no connection has come for this long (at most ACCEPT_DRAIN_MAX_MS). */
const ACCEPT_QUIET_MS = 50;
const ACCEPT_DRAIN_MAX_MS = 250;

interface Connection {
  requests: number;
  idleSince: number;
}

/**
 * Closing an HTTP server without losing a request its clients have already sent.
 *
 * Node's own close() stops listening and at once drops every connection without a request being
 * handled: a fresh connection whose client is about to write, or whose bytes are still unread on a
 * busy loop, and a keep-alive connection a client has just sent its next request on (a burst fired
 * just before Ctrl-C lost most of its requests that way, as ECONNRESET). Here:
 *   - the listener stays open until no connection has come for a moment, so the connections the
 *     kernel has already established (waiting in the accept queue) are taken, not reset;
 *   - every response from then on carries `Connection: close`;
 *   - a connection is closed once it has had no request for IDLE_GRACE_MS since closing began;
 *   - whatever is left when `timeoutMs` runs out is dropped.
 */
export function gracefulClose(server: http.Server) {
  const connections = new Map<net.Socket, Connection>();
  const responses = new Set<http.ServerResponse>();
  let closing = false;
  let closingSince = 0;
  let lastConnectionAt = 0;
  server.on('connection', (socket) => {
    lastConnectionAt = performance.now();
    connections.set(socket, { requests: 0, idleSince: lastConnectionAt });
    socket.once('close', () => connections.delete(socket));
  });

  const closeIdle = () => {
    const now = performance.now();
    for (const [socket, connection] of connections) {
      // A keep-alive connection idle for long may carry the next request right now: it gets the grace too.
      if (connection.requests === 0 && now - Math.max(connection.idleSince, closingSince) >= IDLE_GRACE_MS) socket.destroy();
    }
  };

  return {
    get closing() {
      return closing;
    },

    /** Call first thing for every request. */
    track(req: http.IncomingMessage, res: http.ServerResponse): void {
      const connection = connections.get(req.socket);
      if (connection) connection.requests++;
      responses.add(res);
      res.once('close', () => {
        responses.delete(res);
        if (connection) {
          connection.requests--;
          connection.idleSince = performance.now();
        }
      });
      if (closing) res.setHeader('connection', 'close');
    },

    /** Stops accepting, lets requests in flight finish (up to `timeoutMs`), then drops what is left. */
    async close(timeoutMs: number): Promise<void> {
      closing = true;
      closingSince = performance.now();
      for (const res of responses) if (!res.headersSent) res.setHeader('connection', 'close');
      const timeout = setTimeout(() => server.closeAllConnections(), timeoutMs);
      const deadline = performance.now() + ACCEPT_DRAIN_MAX_MS;
      do {
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_QUIET_MS));
        // Timers run before the loop polls for I/O: let it poll (and accept) before judging the queue quiet.
        await new Promise((resolve) => setImmediate(resolve));
      } while (performance.now() - lastConnectionAt < ACCEPT_QUIET_MS && performance.now() < deadline);
      // net's close, not http's: http.Server#close would drop every connection idle at this instant.
      const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
      const sweep = setInterval(closeIdle, SWEEP_EVERY_MS);
      closeIdle();
      await closed;
      clearInterval(sweep);
      clearTimeout(timeout);
    },
  };
}
