/**
 * Tests of the runtime `getConfiguration` against a real HTTP server on
 * 127.0.0.1 (random port) that serves the AppConfig Lambda extension's route
 * `/applications/{app}/environments/{env}/configurations/{profile}`. Durations
 * are real (no fake timers); a read that only needs an answer waits as long as
 * a loaded machine needs, and a cache's age is set with a clock the test moves.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { APPCONFIG_CONFIGURATION_PATH_ENV, clearConfigurationCache, ExtensionUnreachableError, getConfiguration } from '../../src/runtime';
import { LocalAppConfigExtension, startLocalAppConfigExtension } from '../../src/testing';

const HOST = '127.0.0.1';
const PATH = '/applications/orders/environments/prod/configurations/limits';
const DOCUMENT = { maxItems: 10, greeting: 'hello', nested: { on: true } };

let extension: LocalAppConfigExtension;
let port: number;
/** The paths requested, in order. */
let requests: string[];
let savedEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  extension = await startLocalAppConfigExtension();
  port = extension.port;
  requests = extension.requests;
});

afterAll(async () => {
  await extension.stop();
});

beforeEach(() => {
  extension.reset();
  extension.serve(PATH, DOCUMENT);
  savedEnv = { ...process.env };
  process.env[APPCONFIG_CONFIGURATION_PATH_ENV] = PATH;
  delete process.env.AWS_APPCONFIG_EXTENSION_HTTP_PORT;
  clearConfigurationCache();
});

afterEach(() => {
  process.env = savedEnv;
  clearConfigurationCache();
});

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/**
 * How long a read that only needs an answer waits for it: the runtime's
 * default (1 s) is a deadline in Lambda, and a loaded machine can take longer
 * to answer over loopback.
 */
const PATIENCE = 30_000;

/** Polls `condition` every few ms; throws after `timeout` ms. */
async function until(condition: () => boolean, timeout = PATIENCE): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeout} ms`);
    await sleep(2);
  }
}

describe('getConfiguration', () => {
  test('reads the path of APPCONFIG_CONFIGURATION_PATH and parses JSON', async () => {
    // GIVEN the extension serves the profile as JSON

    // WHEN
    const configuration = await getConfiguration<typeof DOCUMENT>({ port, host: HOST, timeout: PATIENCE });

    // THEN
    expect(configuration).toEqual(DOCUMENT);
    expect(requests).toEqual([PATH]);
  });

  test('the variable is the one AppConfigProfile.attachTo() sets', () => {
    // GIVEN / WHEN / THEN
    expect(APPCONFIG_CONFIGURATION_PATH_ENV).toBe('APPCONFIG_CONFIGURATION_PATH');
  });

  test('a content type that is not JSON gives the text', async () => {
    // GIVEN
    extension.answer(PATH, { contentType: 'text/plain', body: 'maxItems=10' });

    // WHEN
    const configuration = await getConfiguration({ port, host: HOST, timeout: PATIENCE });

    // THEN
    expect(configuration).toBe('maxItems=10');
  });

  test('a JSON content type with a charset is parsed', async () => {
    // GIVEN
    extension.answer(PATH, { contentType: 'application/json; charset=utf-8', body: '[1,2]' });

    // WHEN
    const configuration = await getConfiguration({ port, host: HOST, timeout: PATIENCE });

    // THEN
    expect(configuration).toEqual([1, 2]);
  });

  test('options.path is read instead of the variable', async () => {
    // GIVEN
    const other = '/applications/orders/environments/prod/configurations/other';
    extension.answer(other, { body: '{"other":true}' });

    // WHEN
    const configuration = await getConfiguration({ port, host: HOST, path: other, timeout: PATIENCE });

    // THEN
    expect(configuration).toEqual({ other: true });
    expect(requests).toEqual([other]);
  });

  test('cached within maxAge: two calls, one request', async () => {
    // GIVEN
    const first = await getConfiguration({ port, host: HOST, timeout: PATIENCE });
    extension.answer(PATH, { body: '{"changed":true}' });

    // WHEN
    const second = await getConfiguration({ port, host: HOST, timeout: PATIENCE });

    // THEN
    expect(second).toEqual(first);
    expect(second).toEqual(DOCUMENT);
    expect(requests).toHaveLength(1);
  });

  test('read again after maxAge', async () => {
    // GIVEN a clock the test moves (the cache reads Date.now()), so that a loaded machine cannot age the cache in between
    let now = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const first = await getConfiguration({ port, host: HOST, maxAge: 50, timeout: PATIENCE });
    extension.answer(PATH, { body: '{"changed":true}' });

    // WHEN read 49 ms later, then 80 ms later
    now += 49;
    const cached = await getConfiguration({ port, host: HOST, maxAge: 50, timeout: PATIENCE });
    now += 31;
    const fresh = await getConfiguration({ port, host: HOST, maxAge: 50, timeout: PATIENCE });
    jest.restoreAllMocks();

    // THEN
    expect(first).toEqual(DOCUMENT);
    expect(cached).toEqual(DOCUMENT);
    expect(fresh).toEqual({ changed: true });
    expect(requests).toHaveLength(2);
  });

  test('maxAge 0 reads every time', async () => {
    // GIVEN
    await getConfiguration({ port, host: HOST, maxAge: 0 });

    // WHEN
    await getConfiguration({ port, host: HOST, maxAge: 0 });

    // THEN
    expect(requests).toHaveLength(2);
  });

  test('clearConfigurationCache() forgets the cached configuration', async () => {
    // GIVEN
    await getConfiguration({ port, host: HOST, timeout: PATIENCE });
    extension.answer(PATH, { body: '{"changed":true}' });

    // WHEN
    clearConfigurationCache();
    const configuration = await getConfiguration({ port, host: HOST, timeout: PATIENCE });

    // THEN
    expect(configuration).toEqual({ changed: true });
    expect(requests).toHaveLength(2);
  });

  test('concurrent calls share one request', async () => {
    // GIVEN a slow extension
    extension.answer(PATH, { body: JSON.stringify(DOCUMENT), delay: 50 });

    // WHEN
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => getConfiguration({ port, host: HOST, timeout: PATIENCE })));

    // THEN
    expect(requests).toEqual([PATH]);
    for (const result of results) {
      expect(result).toEqual(DOCUMENT);
    }
  });

  test('each path has its own cache entry', async () => {
    // GIVEN
    const other = '/applications/orders/environments/prod/configurations/other';
    extension.answer(other, { body: '{"other":true}' });

    // WHEN
    const a = await getConfiguration({ port, host: HOST, timeout: PATIENCE });
    const b = await getConfiguration({ port, host: HOST, path: other, timeout: PATIENCE });

    // THEN
    expect(a).toEqual(DOCUMENT);
    expect(b).toEqual({ other: true });
    expect(requests).toEqual([PATH, other]);
  });

  test('throws with the status when the extension does not answer 2xx', async () => {
    // GIVEN
    extension.answer(PATH, { status: 400, contentType: 'text/plain', body: 'Bad request: no such configuration' });

    // WHEN / THEN
    await expect(getConfiguration({ port, host: HOST, timeout: PATIENCE }))
      .rejects.toThrow(new RegExp(`^AppConfig extension answered 400 for http://127\\.0\\.0\\.1:${port}${PATH}: Bad request: no such configuration$`));
  });

  test('a failed read is not cached: the next call reads again', async () => {
    // GIVEN
    extension.answer(PATH, { status: 503, contentType: 'text/plain', body: 'starting' });
    await expect(getConfiguration({ port, host: HOST, timeout: PATIENCE })).rejects.toThrow(/AppConfig extension answered 503/);
    extension.answer(PATH, { body: JSON.stringify(DOCUMENT) });

    // WHEN
    const configuration = await getConfiguration({ port, host: HOST, timeout: PATIENCE });

    // THEN
    expect(configuration).toEqual(DOCUMENT);
    expect(requests).toHaveLength(2);
  });

  test('throws when the extension does not answer within timeout', async () => {
    // GIVEN an extension that takes every request and never answers
    const silent = http.createServer(() => undefined);
    await new Promise<void>(resolve => silent.listen(0, HOST, () => resolve()));
    const silentPort = (silent.address() as AddressInfo).port;

    try {
      // WHEN
      const start = Date.now();
      const read = getConfiguration({ port: silentPort, host: HOST, timeout: 50 });

      // THEN it gives up after its timeout (not before it; long before a loaded machine's slowest turn), naming it
      await expect(read).rejects.toThrow(
        `could not reach the AWS AppConfig Lambda extension at http://${HOST}:${silentPort}${PATH} (no answer within 50 ms)`);
      const elapsed = Date.now() - start;
      expect(elapsed).toBeGreaterThanOrEqual(45);
      expect(elapsed).toBeLessThan(PATIENCE / 3);
    } finally {
      silent.closeAllConnections();
      await new Promise(resolve => silent.close(resolve));
    }
  });

  test('throws when the JSON is invalid, and caches nothing', async () => {
    // GIVEN
    extension.answer(PATH, { body: '{"maxItems": 1' });

    // WHEN / THEN
    await expect(getConfiguration({ port, host: HOST, timeout: PATIENCE })).rejects.toThrow(/JSON/);
    extension.answer(PATH, { body: JSON.stringify(DOCUMENT) });
    expect(await getConfiguration({ port, host: HOST, timeout: PATIENCE })).toEqual(DOCUMENT);
    expect(requests).toHaveLength(2);
  });

  test('after clearConfigurationCache(), a read that was in flight is not reused', async () => {
    // GIVEN a read in flight, then a known change
    extension.answer(PATH, { body: '{"version":1}', delay: 2_000 });
    let settled = false;
    const before = getConfiguration({ port, host: HOST, timeout: PATIENCE }).finally(() => { settled = true; });
    await until(() => extension.count(PATH) === 1); // the extension has taken the read (and picked version 1)
    extension.answer(PATH, { body: '{"version":2}' });

    // WHEN
    expect(settled).toBe(false); // still in flight
    clearConfigurationCache();
    const after = await getConfiguration({ port, host: HOST, timeout: PATIENCE });

    // THEN the read after the change sees the change
    expect(await before).toEqual({ version: 1 });
    expect(after).toEqual({ version: 2 });
    expect(await getConfiguration({ port, host: HOST, timeout: PATIENCE })).toEqual({ version: 2 });
  });

  test('outside Lambda, an error names the URL, the AppConfig Lambda extension and how to run locally', async () => {
    // GIVEN nothing listens on the port, as outside Lambda
    const closed = await startLocalAppConfigExtension();
    await closed.stop();
    // WHEN
    const error = await getConfiguration({ port: closed.port, host: HOST, timeout: PATIENCE })
      .then(() => undefined, (e: unknown) => e as ExtensionUnreachableError);
    // THEN
    expect(error).toBeInstanceOf(ExtensionUnreachableError);
    expect(error?.url).toBe(`http://${HOST}:${closed.port}${PATH}`);
    expect(error?.message).toBe(`could not reach the AWS AppConfig Lambda extension at http://${HOST}:${closed.port}${PATH} (ECONNREFUSED): `
      + 'in Lambda, attach the profile to the function (AppConfigProfile.attachTo(fn) adds the extension layer); outside Lambda (a test, a local script), '
      + 'serve the configuration with startLocalAppConfigExtension() of cdk-resilience/testing and set AWS_APPCONFIG_EXTENSION_HTTP_PORT to its port (or pass the port option)');
  });

  test('the local extension of cdk-resilience/testing, pointed at by its environment, serves what the test sets and counts requests', async () => {
    // GIVEN the environment the helper gives, and a configuration changed between calls
    Object.assign(process.env, extension.environment);
    // WHEN
    const first = await getConfiguration({ maxAge: 0, timeout: PATIENCE });
    extension.serve(PATH, { maxItems: 3 });
    const second = await getConfiguration({ maxAge: 0, timeout: PATIENCE });
    // THEN
    expect(first).toEqual(DOCUMENT);
    expect(second).toEqual({ maxItems: 3 });
    expect(extension.count(PATH)).toBe(2);
  });

  test('throws naming APPCONFIG_CONFIGURATION_PATH when there is no path', async () => {
    // GIVEN
    delete process.env[APPCONFIG_CONFIGURATION_PATH_ENV];

    // WHEN / THEN
    await expect(getConfiguration({ port, host: HOST, timeout: PATIENCE }))
      .rejects.toThrow(/^getConfiguration needs options\.path or APPCONFIG_CONFIGURATION_PATH \(AppConfigProfile\.attachTo\(fn\) sets it\)$/);
    expect(requests).toEqual([]);
  });

  test('the port from AWS_APPCONFIG_EXTENSION_HTTP_PORT', async () => {
    // GIVEN
    process.env.AWS_APPCONFIG_EXTENSION_HTTP_PORT = String(port);

    // WHEN
    const configuration = await getConfiguration({ host: HOST, timeout: PATIENCE });

    // THEN
    expect(configuration).toEqual(DOCUMENT);
    expect(requests).toEqual([PATH]);
  });

  test('options.port wins over AWS_APPCONFIG_EXTENSION_HTTP_PORT', async () => {
    // GIVEN a variable naming a port nobody listens on
    process.env.AWS_APPCONFIG_EXTENSION_HTTP_PORT = '1';

    // WHEN
    const configuration = await getConfiguration({ port, host: HOST, timeout: PATIENCE });

    // THEN
    expect(configuration).toEqual(DOCUMENT);
  });
});
