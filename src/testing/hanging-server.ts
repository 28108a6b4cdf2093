import { createServer, IncomingMessage, ServerResponse } from 'http';
import { AddressInfo, Socket } from 'net';

/** A downstream that hangs: an HTTP server on 127.0.0.1 that accepts every request and never answers. */
export interface HangingServer {
  /** Its URL, `http://127.0.0.1:<port>`: a `fetch` URL, or the `endpoint` of an AWS SDK client. */
  readonly url: string;
  /** The requests it received (and never answered), in order. */
  readonly requests: readonly HangingRequest[];
  /** The connections still open: a request its client aborted closes its connection. */
  readonly openConnections: number;
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number): Promise<void>;
  /** Closes every connection and stops the server. */
  stop(): Promise<void>;
}

/** A request a `HangingServer` received. */
export interface HangingRequest {
  /** Its method. */
  readonly method: string;
  /** Its path and query. */
  readonly path: string;
  /** When it arrived (`Date.now()`). */
  readonly receivedAt: number;
  /** When its client closed the connection (`Date.now()`), or `undefined` while it is open. */
  readonly closedAt: number | undefined;
}

/**
 * Starts a downstream that hangs: an HTTP server on 127.0.0.1 (a random
 * port) that reads every request and never answers, as a dependency that
 * stopped responding. Point a client at it to test what your handler does
 * when a call never ends: with `withDeadline()` and `applyDeadline()` of
 * `cdk-resilience/runtime/deadline`, the call stops at the deadline, before
 * Lambda's timeout. `requests` shows what arrived, and when each request's
 * connection was closed.
 */
export async function startHangingServer(): Promise<HangingServer> {
  const requests: { method: string; path: string; receivedAt: number; closedAt: number | undefined }[] = [];
  const sockets = new Set<Socket>();
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((request: IncomingMessage, _response: ServerResponse) => {
    const entry = { method: request.method ?? '', path: request.url ?? '', receivedAt: Date.now(), closedAt: undefined as number | undefined };
    requests.push(entry);
    // Read the body, so that the client is waiting for an answer, not for us to read.
    request.resume();
    request.socket.once('close', () => { entry.closedAt = Date.now(); });
    for (const waiter of waiters.filter(w => requests.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  // No answer means no timeout of ours either: only the client ends a request.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 0;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    get openConnections() {
      return sockets.size;
    },
    waitForRequests(count: number) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise<void>(resolve => waiters.push({ count, resolve }));
    },
    async stop() {
      const closed = new Promise<void>(resolve => server.close(() => resolve()));
      sockets.forEach(socket => socket.destroy());
      await closed;
    },
  };
}
