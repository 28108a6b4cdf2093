/**
 * Reads configuration through the AWS AppConfig Lambda extension, which
 * serves it on localhost: `GET /applications/{app}/environments/{env}/configurations/{profile}`.
 * The extension polls AppConfig itself; this cache saves even the local HTTP
 * call for `maxAge` milliseconds.
 */

import { optionalNumber, optionalString, optionsObject } from './validate';

/** Options to read a configuration through the AppConfig Lambda extension. */
export interface ExtensionReadOptions {
  /**
   * The extension route, `/applications/{app}/environments/{env}/configurations/{profile}`.
   * Default: the environment variable that `attachTo()` sets.
   */
  readonly path?: string;
  /** The extension's port, an integer 1-65,535. Default: `AWS_APPCONFIG_EXTENSION_HTTP_PORT`, else 2772. */
  readonly port?: number;
  /** The host. Default: `localhost`. */
  readonly host?: string;
  /** How long a configuration read is reused, in ms (at least 0). Default 5,000; 0 reads every time. */
  readonly maxAge?: number;
  /** How long to wait for the extension, in ms (at least 1). Default 1,000. */
  readonly timeout?: number;
}

/**
 * Checks read options given at run time (JavaScript handlers get no types).
 *
 * @throws Error naming the option, what it must be and the value
 */
export function checkReadOptions(options: ExtensionReadOptions | undefined): ExtensionReadOptions {
  const checked = optionsObject('options', options);
  optionalString('path', checked.path);
  optionalNumber('port', checked.port, 1, 65_535, { integer: true });
  optionalString('host', checked.host);
  optionalNumber('maxAge', checked.maxAge, 0, Number.MAX_SAFE_INTEGER, { unit: 'ms' });
  optionalNumber('timeout', checked.timeout, 1, 2_147_483_647, { unit: 'ms' });
  return checked;
}

interface CacheEntry {
  readonly value: unknown;
  readonly until: number;
}

const cache = new Map<string, CacheEntry>();
const inflight = new Map<string, Promise<unknown>>();

/** The extension's URL for `path`. */
export function extensionUrl(path: string, options: ExtensionReadOptions = {}): string {
  const port = options.port ?? Number(process.env.AWS_APPCONFIG_EXTENSION_HTTP_PORT ?? 2772);
  return `http://${options.host ?? 'localhost'}:${port}${path.startsWith('/') ? path : `/${path}`}`;
}

/**
 * Reads the configuration at `path` (JSON parsed when the extension says it
 * is JSON, text otherwise), from the cache while it is fresh. Concurrent
 * reads share one request. Throws when the extension cannot answer.
 */
export async function readThroughExtension(path: string, options: ExtensionReadOptions = {}): Promise<unknown> {
  const url = extensionUrl(path, options);
  const maxAge = options.maxAge ?? 5_000;
  const now = Date.now();
  const cached = cache.get(url);
  if (cached && now < cached.until) {
    return cached.value;
  }
  let request = inflight.get(url);
  if (!request) {
    const current: Promise<unknown> = fetchOnce(url, options.timeout ?? 1_000)
      .then(value => {
        // A read started before clearConfigurationCache() answers its callers but is not kept.
        if (inflight.get(url) === current) cache.set(url, { value, until: Date.now() + maxAge });
        return value;
      })
      .finally(() => {
        if (inflight.get(url) === current) inflight.delete(url);
      });
    request = current;
    inflight.set(url, request);
  }
  return request;
}

/** Incremented by `clearConfigurationCache()`: what was remembered before it is forgotten. */
let generation = 0;

/**
 * Forgets every cached configuration and every failed read (for tests, or
 * after a known change): the next `getConfiguration()` or `injectFailure()`
 * invocation asks the extension again, also when the last read failed less
 * than `maxAge` ago.
 */
export function clearConfigurationCache(): void {
  cache.clear();
  inflight.clear();
  generation++;
}

/** How many times the cache was cleared: state kept elsewhere about reads is valid for one generation. */
export function cacheGeneration(): number {
  return generation;
}

/**
 * The error of a read that could not reach the extension: it names the URL,
 * the AppConfig Lambda extension, and how to run outside Lambda.
 */
export class ExtensionUnreachableError extends Error {
  constructor(
    /** The extension URL that did not answer. */
    public readonly url: string,
    cause: unknown,
    timeout: number,
  ) {
    super(`could not reach the AWS AppConfig Lambda extension at ${url} (${describeCause(cause, timeout)}): in Lambda, attach the profile to the function `
      + '(AppConfigProfile.attachTo(fn) adds the extension layer); outside Lambda (a test, a local script), serve the configuration with '
      + 'startLocalAppConfigExtension() of cdk-resilience/testing and set AWS_APPCONFIG_EXTENSION_HTTP_PORT to its port (or pass the port option)', { cause });
    this.name = 'ExtensionUnreachableError';
  }
}

function describeCause(cause: unknown, timeout: number): string {
  const error = cause as { name?: string; message?: string; cause?: { code?: string } } | undefined;
  if (error?.name === 'TimeoutError') return `no answer within ${timeout} ms`;
  return error?.cause?.code ?? error?.message ?? String(cause);
}

async function fetchOnce(url: string, timeout: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeout) });
  } catch (error) {
    throw new ExtensionUnreachableError(url, error, timeout);
  }
  const body = await response.text();
  if (!response.ok) {
    throw new Error(`AppConfig extension answered ${response.status} for ${url}: ${body.slice(0, 200)}`);
  }
  const type = response.headers.get('content-type') ?? '';
  return type.includes('json') ? JSON.parse(body) : body;
}
