import * as http from 'http';
import { AddressInfo } from 'net';
import { FailureInjectionFlags } from '../../src/runtime';

/** What the stand-in extension answers for one route. */
export interface ExtensionAnswer {
  /** @default 200 */
  readonly status?: number;
  /** @default 'application/json' */
  readonly contentType?: string;
  readonly body: string;
  /** Milliseconds before answering. */
  readonly delay?: number;
}

/**
 * A stand-in for the AppConfig Lambda extension: a real HTTP server on
 * 127.0.0.1 (random port) that answers the route
 * `/applications/{app}/environments/{env}/configurations/{profile}` with what
 * the test set, and records the requests.
 */
export interface LocalExtension {
  readonly port: number;
  /** The paths requested, in order. */
  readonly requests: string[];
  /** How many times `route` was requested. */
  count(route: string): number;
  /** Serves `document` as JSON at `route`. */
  serve(route: string, document: unknown): void;
  /** Answers `route` as given (status, content type, body, delay). */
  answer(route: string, answer: ExtensionAnswer): void;
  /** Forgets every route and request. */
  reset(): void;
  stop(): Promise<void>;
}

export async function startLocalExtension(): Promise<LocalExtension> {
  const answers = new Map<string, ExtensionAnswer>();
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    const route = request.url ?? '';
    requests.push(route);
    const answer = answers.get(route);
    const respond = () => {
      if (!answer) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      } else {
        response.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/json' }).end(answer.body);
      }
    };
    if (answer?.delay) setTimeout(respond, answer.delay);
    else respond();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  let stopped = false;
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    count: route => requests.filter(r => r === route).length,
    serve: (route, document) => { answers.set(route, { body: JSON.stringify(document) }); },
    answer: (route, answer) => { answers.set(route, answer); },
    reset: () => {
      answers.clear();
      requests.length = 0;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}

/** Every failure-injection flag off: what `FailureInjection` deploys by default. */
export const ALL_FLAGS_OFF: FailureInjectionFlags = {
  latency: { enabled: false },
  timeout: { enabled: false },
  diskspace: { enabled: false },
  denylist: { enabled: false },
  statuscode: { enabled: false },
  exception: { enabled: false },
  corruption: { enabled: false },
};
