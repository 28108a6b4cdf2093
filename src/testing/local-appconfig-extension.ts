import * as http from 'http';
import { AddressInfo } from 'net';
import type { FailureInjectionFlags } from '../runtime/failure-injection';
import { FAILURE_MODE_NAMES } from '../runtime/failure-modes';
import { describeValue, optionalNumber, optionalString } from '../runtime/validate';

/** What the local extension answers for one route. */
export interface ExtensionAnswer {
  /** The HTTP status. Default 200. */
  readonly status?: number;
  /** The content type. Default `application/json`. */
  readonly contentType?: string;
  /** The body, as sent. */
  readonly body: string;
  /** Milliseconds to wait before answering (to test timeouts). Default 0. */
  readonly delay?: number;
}

/**
 * A stand-in for the AWS AppConfig Lambda extension, for tests and local runs
 * of handlers that use `getConfiguration()` or `injectFailure()`: a real HTTP
 * server on 127.0.0.1 (a free port) that answers the extension's route
 * `/applications/{app}/environments/{env}/configurations/{profile}` with what
 * you serve, counts the requests, and can be changed between calls.
 *
 * Point the helpers at it with `AWS_APPCONFIG_EXTENSION_HTTP_PORT` (see
 * `environment`), or with their `port` option. A route nothing is served at
 * answers 404, as the extension does for an unknown profile.
 */
export interface LocalAppConfigExtension {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** The variables that point the runtime helpers at it: `{ AWS_APPCONFIG_EXTENSION_HTTP_PORT: '<port>' }`. */
  readonly environment: Record<string, string>;
  /** The routes requested, in order. */
  readonly requests: string[];
  /** How many times `route` was requested. */
  count(route: string): number;
  /**
   * Serves `document` as JSON at `route`: a free-form configuration, or the
   * feature flags of a `FailureInjection` profile in the shape the extension
   * serves them (`{ latency: { enabled: true, percentage: 10, minLatency: 100, maxLatency: 400 }, ... }`).
   *
   * @throws Error when `route` does not start with `/`, or `document` has no JSON form (`undefined`, a function)
   */
  serve(route: string, document: unknown): void;
  /**
   * Answers `route` exactly as given: status, content type, body, delay.
   *
   * @throws Error when `route` does not start with `/`, the status is not an integer 100-599, the body is not a
   *   string, or the delay is not 0-600,000 ms
   */
  answer(route: string, answer: ExtensionAnswer): void;
  /** Forgets every route and request. */
  reset(): void;
  /** Stops the server; requests then fail to connect, as outside Lambda. */
  stop(): Promise<void>;
}

/**
 * Starts a `LocalAppConfigExtension`. Stop it when the test ends.
 *
 * @example
 * const extension = await startLocalAppConfigExtension();
 * extension.serve('/applications/shop/environments/default/configurations/limits', { maxItemsPerOrder: 20 });
 * Object.assign(process.env, extension.environment);
 */
export async function startLocalAppConfigExtension(): Promise<LocalAppConfigExtension> {
  const answers = new Map<string, ExtensionAnswer>();
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    const route = request.url ?? '';
    requests.push(route);
    const answer = answers.get(route);
    const respond = () => {
      if (!answer) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end(`no configuration is served at ${route}`);
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
  const port = (server.address() as AddressInfo).port;
  let stopped = false;
  return {
    port,
    environment: { AWS_APPCONFIG_EXTENSION_HTTP_PORT: String(port) },
    requests,
    count: route => requests.filter(r => r === route).length,
    serve: (route, document) => {
      checkRoute(route);
      const body = JSON.stringify(document) as string | undefined;
      if (body === undefined) {
        throw new Error(`document must be a value with a JSON form (an object, an array, a string, a number, true, false or null), got ${describeValue(document)}`);
      }
      answers.set(route, { body });
    },
    answer: (route, answer) => {
      checkRoute(route);
      if (answer === null || typeof answer !== 'object') throw new Error(`answer must be an object ({ status, contentType, body, delay }), got ${describeValue(answer)}`);
      optionalNumber('answer.status', answer.status, 100, 599, { integer: true });
      optionalString('answer.contentType', answer.contentType);
      if (typeof answer.body !== 'string') throw new Error(`answer.body must be a string (the body as sent), got ${describeValue(answer.body)}`);
      optionalNumber('answer.delay', answer.delay, 0, 600_000, { unit: 'ms' });
      answers.set(route, answer);
    },
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

/** A route as the runtime requests it: a path that starts with `/`, which the extension's routes do. */
function checkRoute(route: unknown): void {
  if (typeof route !== 'string' || !route.startsWith('/')) {
    throw new Error(`route must be a path that starts with / (/applications/{app}/environments/{env}/configurations/{profile}), got ${describeValue(route)}`);
  }
}

/** Every failure-injection flag off, as the `FailureInjection` profile is deployed. */
export const ALL_FAILURE_FLAGS_OFF: FailureInjectionFlags = Object.fromEntries(FAILURE_MODE_NAMES.map(mode => [mode, { enabled: false }]));
