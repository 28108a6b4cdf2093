/**
 * Tests of the runtime `injectFailure` against a real HTTP server on
 * 127.0.0.1 that serves the AppConfig Lambda extension's route
 * `/applications/{app}/environments/{env}/configurations/{profile}` with the
 * simplified feature-flag document each test sets. No fake timers: a read
 * that only needs an answer waits as long as a loaded machine needs, and a
 * test whose steps must fit in a cache's life stops the clock that the cache
 * reads (`Date.now()`) and moves it itself.
 */
import dns from 'dns';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  FAILURE_INJECTION_DISABLED_ENV, FAILURE_INJECTION_PATH_ENV, FailureInjectionFlags, FailureInjectionOptions, injectFailure,
} from '../../src/runtime';
import { clearConfigurationCache } from '../../src/runtime/appconfig-extension';
import { AttributeDescription, FAILURE_MODE_NAMES, FAILURE_MODES, FailureMode } from '../../src/runtime/failure-modes';
import { ALL_FAILURE_FLAGS_OFF, LocalAppConfigExtension, startLocalAppConfigExtension } from '../../src/testing';


const OK = { statusCode: 200, body: 'handled' };

let extension: LocalAppConfigExtension;
let log: jest.SpyInstance;
let warn: jest.SpyInstance;
let routeCount = 0;
let route: string;
let tmpDir: string;
const originalLookup = dns.lookup;
const originalPromisesLookup = dns.promises.lookup;

beforeAll(async () => {
  extension = await startLocalAppConfigExtension();
});

afterAll(async () => {
  await extension.stop();
});

beforeEach(async () => {
  clearConfigurationCache();
  // Each test reads its own profile: nothing a test remembers about its configuration leaks into another.
  routeCount += 1;
  route = `/applications/orders-${routeCount}/environments/test/configurations/chaos`;
  tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'failure-injection-test-'));
  log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(async () => {
  jest.restoreAllMocks();
  delete process.env[FAILURE_INJECTION_DISABLED_ENV];
  delete process.env[FAILURE_INJECTION_PATH_ENV];
  delete process.env.AWS_APPCONFIG_EXTENSION_HTTP_PORT;
  await fs.rm(tmpDir, { recursive: true, force: true });
});

/**
 * Options that read `route` from the local extension, waiting for its answer
 * as long as a loaded machine needs (the runtime's default, 1 s, is meant for
 * the extension in Lambda).
 */
function local(options: FailureInjectionOptions = {}): FailureInjectionOptions {
  return { path: route, host: '127.0.0.1', port: extension.port, tmpDir, timeout: 30_000, ...options };
}

/** Stops the clock that the caches read (`Date.now()`) for the rest of the test (`afterEach` restores it); returns how to move it. */
function stopClock(): { advance(ms: number): void } {
  let now = Date.now();
  jest.spyOn(Date, 'now').mockImplementation(() => now);
  return { advance: ms => { now += ms; } };
}

/** The flags with the given ones enabled (all others disabled). */
function flags(enabled: FailureInjectionFlags): FailureInjectionFlags {
  return { ...ALL_FAILURE_FLAGS_OFF, ...enabled };
}

/** An enabled flag of `mode` with a valid value of each attribute, from the description: its defaults, one expression for a list. */
function describedFlag(mode: FailureMode): Record<string, unknown> {
  const attributes: Record<string, AttributeDescription> = FAILURE_MODES[mode].attributes;
  return {
    enabled: true,
    percentage: 100,
    ...Object.fromEntries(Object.entries(attributes).map(([name, spec]) => [name, spec.type === 'patterns' ? ['^example\\.com$'] : spec.default])),
  };
}

/** A handler that counts its calls and returns `result`. */
function handlerReturning<T>(result: T): jest.Mock<Promise<T>, [unknown, unknown]> {
  return jest.fn(async (_event: unknown, _context: unknown) => result);
}

/** A seeded PRNG (Park-Miller, exact in doubles), so statistical tests are repeatable. */
function seeded(seed: number): () => number {
  let state = seed % 2_147_483_647 || 1;
  return () => {
    state = (state * 16_807) % 2_147_483_647;
    return (state - 1) / 2_147_483_646;
  };
}

function lines(spy: jest.SpyInstance): any[] {
  return spy.mock.calls.map(args => JSON.parse(String(args[0])));
}

function injected(): string[] {
  return lines(log).map(line => line.mode);
}

function requestCount(): number {
  return extension.count(route);
}

/** A Lambda context whose invocation ends `ms` from now. */
function contextEndingIn(ms: number) {
  const deadline = Date.now() + ms;
  return { getRemainingTimeInMillis: () => deadline - Date.now() };
}

describe('injectFailure', () => {
  test('with every flag disabled, the result is the handler\'s own and nothing is logged', async () => {
    // GIVEN
    extension.serve(route, ALL_FAILURE_FLAGS_OFF);
    const handler = handlerReturning(OK);
    const event = { id: 1 };
    const context = contextEndingIn(1_000);
    // WHEN
    const result = await injectFailure(handler, local())(event, context);
    // THEN
    expect(result).toBe(OK);
    expect(handler).toHaveBeenCalledWith(event, context);
    expect(requestCount()).toBe(1);
    expect(log).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
  });

  test('reads the path from FAILURE_INJECTION_CONFIGURATION_PATH and the port from AWS_APPCONFIG_EXTENSION_HTTP_PORT', async () => {
    // GIVEN
    extension.serve(route, flags({ statuscode: { enabled: true, percentage: 100, statusCode: 503 } }));
    process.env[FAILURE_INJECTION_PATH_ENV] = route;
    process.env.AWS_APPCONFIG_EXTENSION_HTTP_PORT = String(extension.port);
    // WHEN
    const result = await injectFailure(handlerReturning(OK), { host: '127.0.0.1' })({}, {});
    // THEN
    expect(result).toEqual({ statusCode: 503 });
    expect(requestCount()).toBe(1);
  });

  describe('modes', () => {
    test('latency sleeps uniformly between minLatency and maxLatency before the handler', async () => {
      // GIVEN
      extension.serve(route, flags({ latency: { enabled: true, percentage: 100, minLatency: 100, maxLatency: 200 } }));
      let calledAfter = 0;
      const start = Date.now();
      const handler = jest.fn(async () => { calledAfter = Date.now() - start; return OK; });
      // WHEN: the draw for the percentage, then 0.5 of the range
      const result = await injectFailure(handler, local({ random: () => 0.5 }))({}, {});
      // THEN
      expect(result).toBe(OK);
      expect(calledAfter).toBeGreaterThanOrEqual(145);
      expect(lines(log)).toEqual([expect.objectContaining({ mode: 'latency', latency: 150, minLatency: 100, maxLatency: 200, percentage: 100 })]);
    });

    test('timeout sleeps until only timeoutBuffer ms of the invocation are left', async () => {
      // GIVEN an invocation with 2 s left and a buffer of 1 s (room for a loaded machine's late timers)
      extension.serve(route, flags({ timeout: { enabled: true, percentage: 100, timeoutBuffer: 1_000 } }));
      const context = contextEndingIn(2_000);
      let remainingInHandler = 0;
      const handler = jest.fn(async (_event: unknown, c: typeof context) => { remainingInHandler = c.getRemainingTimeInMillis(); return OK; });
      // WHEN
      await injectFailure(handler, local())({}, context);
      // THEN it slept what was left but the buffer, and the handler runs with the buffer left (at most), not timed out
      const [line] = lines(log);
      expect(line).toEqual(expect.objectContaining({ mode: 'timeout', timeoutBuffer: 1_000 }));
      expect(line.sleep).toBe(Math.max(0, line.remaining - 1_000));
      expect(remainingInHandler).toBeLessThanOrEqual(1_005);
      expect(remainingInHandler).toBeGreaterThan(200);
      expect(lines(log)).toHaveLength(1);
    });

    test('timeout is skipped without a Lambda context', async () => {
      // GIVEN
      extension.serve(route, flags({ timeout: { enabled: true, percentage: 100, timeoutBuffer: 100 } }));
      // WHEN
      const result = await injectFailure(handlerReturning(OK), local())({}, undefined);
      // THEN
      expect(result).toBe(OK);
      expect(log).not.toHaveBeenCalled();
    });

    test('diskspace writes a file of diskSpace MB for the invocation and deletes it afterwards', async () => {
      // GIVEN
      extension.serve(route, flags({ diskspace: { enabled: true, percentage: 100, diskSpace: 3 } }));
      let filesInHandler: Array<{ name: string; size: number }> = [];
      const handler = jest.fn(async () => {
        const names = await fs.readdir(tmpDir);
        filesInHandler = await Promise.all(names.map(async name => ({ name, size: (await fs.stat(path.join(tmpDir, name))).size })));
        return OK;
      });
      // WHEN
      const result = await injectFailure(handler, local())({}, {});
      // THEN
      expect(result).toBe(OK);
      expect(filesInHandler).toEqual([{ name: expect.stringMatching(/^failure-injection-.*\.tmp$/), size: 3 * 1024 * 1024 }]);
      expect(await fs.readdir(tmpDir)).toEqual([]);
      expect(lines(log)).toEqual([expect.objectContaining({ mode: 'diskspace', diskSpace: 3 })]);
    });

    test('diskspace deletes its file also when the handler throws', async () => {
      // GIVEN
      extension.serve(route, flags({ diskspace: { enabled: true, percentage: 100, diskSpace: 1 } }));
      let filesInHandler = 0;
      const handler = jest.fn(async () => {
        filesInHandler = (await fs.readdir(tmpDir)).length;
        throw new Error('handler failed');
      });
      // WHEN
      await expect(injectFailure(handler, local())({}, {})).rejects.toThrow('handler failed');
      // THEN
      expect(filesInHandler).toBe(1);
      expect(await fs.readdir(tmpDir)).toEqual([]);
    });

    test('diskspace deletes a file left by a process that was killed', async () => {
      // GIVEN: a file of an earlier process (killed by a timeout before it could clean up)
      extension.serve(route, flags({ diskspace: { enabled: true, percentage: 100, diskSpace: 1 } }));
      await fs.writeFile(path.join(tmpDir, 'failure-injection-1-1700000000000-1.tmp'), Buffer.alloc(1024));
      await fs.writeFile(path.join(tmpDir, 'someone-elses.tmp'), 'kept');
      // WHEN
      await injectFailure(handlerReturning(OK), local())({}, {});
      // THEN
      expect(await fs.readdir(tmpDir)).toEqual(['someone-elses.tmp']);
    });

    test('denylist makes DNS lookups of matching hosts fail during the invocation, and restores DNS afterwards', async () => {
      // GIVEN
      extension.serve(route, flags({ denylist: { enabled: true, percentage: 100, denylist: ['^s3\\..*', '^localhost$'] } }));
      const seen: Record<string, string> = {};
      const handler = jest.fn(async () => {
        seen.callback = await new Promise<string>(resolve => dns.lookup('s3.eu-west-1.amazonaws.com', (error) => resolve(error?.code ?? 'resolved')));
        seen.promises = await dns.promises.lookup('s3.eu-west-1.amazonaws.com').then(() => 'resolved', (error) => error.code);
        seen.options = await new Promise<string>(resolve => dns.lookup('localhost', { all: true }, (error) => resolve(error?.code ?? 'resolved')));
        seen.other = await dns.promises.lookup('127.0.0.1').then(() => 'resolved', (error) => error.code);
        seen.otherCallback = await new Promise<string>(resolve => dns.lookup('127.0.0.1', 4, (error) => resolve(error?.code ?? 'resolved')));
        // A real HTTP request to the (running) local server by a denied name:
        seen.fetch = await fetch(`http://localhost:${extension.port}${route}`).then(() => 'answered', (error) => error.cause?.code);
        return OK;
      });
      // WHEN
      const result = await injectFailure(handler, local())({}, {});
      // THEN
      expect(result).toBe(OK);
      expect(seen).toEqual({ callback: 'ENOTFOUND', promises: 'ENOTFOUND', options: 'ENOTFOUND', other: 'resolved', otherCallback: 'resolved', fetch: 'ENOTFOUND' });
      expect(dns.lookup).toBe(originalLookup);
      expect(dns.promises.lookup).toBe(originalPromisesLookup);
      expect(await dns.promises.lookup('localhost')).toEqual(expect.objectContaining({ address: expect.any(String) }));
      expect(lines(log)).toEqual([expect.objectContaining({ mode: 'denylist', denylist: ['^s3\\..*', '^localhost$'] })]);
    });

    test('denylist never denies an IP address, and matches host names case-insensitively', async () => {
      // GIVEN a denylist that matches every name, and one written in lower case
      extension.serve(route, flags({ denylist: { enabled: true, percentage: 100, denylist: ['.*'] } }));
      const seen: Record<string, string> = {};
      const handler = jest.fn(async () => {
        for (const host of ['127.0.0.1', '::1', 'LOCALHOST']) {
          seen[host] = await dns.promises.lookup(host).then(() => 'resolved', (error) => error.code);
        }
        return OK;
      });
      // WHEN
      await injectFailure(handler, local())({}, {});
      // THEN
      expect(seen).toEqual({ '127.0.0.1': 'resolved', '::1': 'resolved', 'LOCALHOST': 'ENOTFOUND' });
    });

    test('denylist expressions are case-insensitive', async () => {
      // GIVEN
      extension.serve(route, flags({ denylist: { enabled: true, percentage: 100, denylist: ['^api\\.example\\.com$'] } }));
      let code = '';
      // WHEN
      await injectFailure(jest.fn(async () => {
        code = await dns.promises.lookup('API.Example.com').then(() => 'resolved', (error) => error.code);
        return OK;
      }), local())({}, {});
      // THEN
      expect(code).toBe('ENOTFOUND');
    });

    test('denylist restores DNS also when the handler throws', async () => {
      // GIVEN
      extension.serve(route, flags({ denylist: { enabled: true, percentage: 100, denylist: ['.*'] } }));
      let patchedInHandler = false;
      const handler = jest.fn(async () => {
        patchedInHandler = dns.lookup !== originalLookup && dns.promises.lookup !== originalPromisesLookup;
        throw new Error('handler failed');
      });
      // WHEN
      await expect(injectFailure(handler, local())({}, {})).rejects.toThrow('handler failed');
      // THEN
      expect(patchedInHandler).toBe(true);
      expect(dns.lookup).toBe(originalLookup);
      expect(dns.promises.lookup).toBe(originalPromisesLookup);
    });

    test('statuscode returns { statusCode } without calling the handler', async () => {
      // GIVEN
      extension.serve(route, flags({ statuscode: { enabled: true, percentage: 100, statusCode: 502 } }));
      const handler = handlerReturning(OK);
      // WHEN
      const result = await injectFailure(handler, local())({}, {});
      // THEN
      expect(result).toEqual({ statusCode: 502 });
      expect(handler).not.toHaveBeenCalled();
      expect(lines(log)).toEqual([expect.objectContaining({ mode: 'statuscode', statusCode: 502 })]);
    });

    test('exception throws exceptionMessage without calling the handler', async () => {
      // GIVEN
      extension.serve(route, flags({ exception: { enabled: true, percentage: 100, exceptionMessage: 'injected by chaos' } }));
      const handler = handlerReturning(OK);
      // WHEN / THEN
      await expect(injectFailure(handler, local())({}, {})).rejects.toThrow(/^injected by chaos$/);
      expect(handler).not.toHaveBeenCalled();
      expect(lines(log)).toEqual([expect.objectContaining({ mode: 'exception', exceptionMessage: 'injected by chaos' })]);
    });

    test('corruption replaces the body of the handler\'s result', async () => {
      // GIVEN
      extension.serve(route, flags({ corruption: { enabled: true, percentage: 100, body: '{"garbled' } }));
      const handler = handlerReturning({ statusCode: 200, headers: { 'x-id': '1' }, body: '{"ok":true}' });
      // WHEN
      const result = await injectFailure(handler, local())({}, {});
      // THEN
      expect(result).toEqual({ statusCode: 200, headers: { 'x-id': '1' }, body: '{"garbled' });
      expect(handler).toHaveBeenCalledTimes(1);
      expect(lines(log)).toEqual([expect.objectContaining({ mode: 'corruption', body: '{"garbled' })]);
    });

    test('corruption returns the body when the result has none', async () => {
      // GIVEN
      extension.serve(route, flags({ corruption: { enabled: true, percentage: 100, body: 'garbled' } }));
      // WHEN
      const result = await injectFailure(handlerReturning('plain result'), local())({}, {});
      // THEN
      expect(result).toBe('garbled');
    });
  });

  describe('the modes, from their description (failure-modes.ts)', () => {
    test('ALL_FAILURE_FLAGS_OFF turns off every mode of the description', () => {
      expect(ALL_FAILURE_FLAGS_OFF).toEqual(Object.fromEntries(FAILURE_MODE_NAMES.map(mode => [mode, { enabled: false }])));
    });

    test('every mode of the description is injected, in the description\'s order, with the attributes of its flag', async () => {
      // GIVEN every mode enabled at 100%, with the defaults of the description
      extension.serve(route, Object.fromEntries([...FAILURE_MODE_NAMES].reverse().map(mode => [mode, describedFlag(mode)])));
      // WHEN
      await injectFailure(handlerReturning(OK), local({ dryRun: true }))({}, contextEndingIn(1_000));
      // THEN
      expect(warn).not.toHaveBeenCalled();
      expect(injected()).toEqual(FAILURE_MODE_NAMES);
      for (const line of lines(log)) {
        const { enabled: _, ...attributes } = describedFlag(line.mode);
        expect(line).toEqual(expect.objectContaining({ dryRun: true, ...attributes }));
      }
    });
  });

  describe('percentages and order', () => {
    test('a draw below the percentage injects, a draw above does not', async () => {
      // GIVEN
      extension.serve(route, flags({ exception: { enabled: true, percentage: 50, exceptionMessage: 'boom' } }));
      const handler = handlerReturning(OK);
      // WHEN / THEN
      await expect(injectFailure(handler, local({ random: () => 0.49 }))({}, {})).rejects.toThrow('boom');
      await expect(injectFailure(handler, local({ random: () => 0.51 }))({}, {})).resolves.toBe(OK);
      expect(handler).toHaveBeenCalledTimes(1);
    });

    test('percentage 0 never injects; a missing percentage is 100', async () => {
      // GIVEN
      const zero = route;
      extension.serve(zero, flags({ statuscode: { enabled: true, percentage: 0, statusCode: 500 } }));
      const always = `${route}-always`;
      extension.serve(always, flags({ statuscode: { enabled: true, statusCode: 500 } }));
      // WHEN / THEN
      await expect(injectFailure(handlerReturning(OK), local({ random: () => 0 }))({}, {})).resolves.toBe(OK);
      await expect(injectFailure(handlerReturning(OK), local({ path: always, random: () => 0.999 }))({}, {})).resolves.toEqual({ statusCode: 500 });
    });

    test('1,000 invocations at 30% inject 300 ± 50 failures, with one configuration read', async () => {
      // GIVEN
      extension.serve(route, flags({ statuscode: { enabled: true, percentage: 30, statusCode: 500 } }));
      const wrapped = injectFailure(handlerReturning(OK), local({ random: seeded(42) }));
      // WHEN
      let failures = 0;
      for (let i = 0; i < 1_000; i++) {
        if ((await wrapped({}, {})).statusCode === 500) failures++;
      }
      // THEN
      expect(failures).toBeGreaterThanOrEqual(250);
      expect(failures).toBeLessThanOrEqual(350);
      expect(requestCount()).toBe(1);
      expect(log).toHaveBeenCalledTimes(failures);
    });

    test('each mode is drawn independently with its own percentage', async () => {
      // GIVEN: draws are consumed in mode order: latency 0.1 (< 20%), statuscode 0.5 (>= 40%), exception 0.3 (< 60%)
      extension.serve(route, flags({
        latency: { enabled: true, percentage: 20, minLatency: 0, maxLatency: 0 },
        statuscode: { enabled: true, percentage: 40, statusCode: 500 },
        exception: { enabled: true, percentage: 60, exceptionMessage: 'boom' },
      }));
      const draws = [0.1, 0.5, 0.3, 0];
      // WHEN / THEN
      await expect(injectFailure(handlerReturning(OK), local({ random: () => draws.shift()! }))({}, {})).rejects.toThrow('boom');
      expect(injected()).toEqual(['latency', 'exception']);
    });

    test('latency is applied before exception', async () => {
      // GIVEN
      extension.serve(route, flags({
        exception: { enabled: true, percentage: 100, exceptionMessage: 'boom' },
        latency: { enabled: true, percentage: 100, minLatency: 100, maxLatency: 100 },
      }));
      const start = Date.now();
      // WHEN
      await expect(injectFailure(handlerReturning(OK), local())({}, {})).rejects.toThrow('boom');
      // THEN
      expect(Date.now() - start).toBeGreaterThanOrEqual(95);
      expect(injected()).toEqual(['latency', 'exception']);
    });

    test('modes apply in the documented order; statuscode ends the invocation before exception and corruption', async () => {
      // GIVEN: every mode enabled at 100%
      extension.serve(route, {
        corruption: { enabled: true, percentage: 100, body: 'garbled' },
        exception: { enabled: true, percentage: 100, exceptionMessage: 'boom' },
        statuscode: { enabled: true, percentage: 100, statusCode: 429 },
        denylist: { enabled: true, percentage: 100, denylist: ['^dynamodb\\.'] },
        diskspace: { enabled: true, percentage: 100, diskSpace: 1 },
        timeout: { enabled: true, percentage: 100, timeoutBuffer: 1_000 },
        latency: { enabled: true, percentage: 100, minLatency: 10, maxLatency: 20 },
      });
      const handler = handlerReturning(OK);
      // WHEN
      const result = await injectFailure(handler, local())({}, contextEndingIn(1_050));
      // THEN
      expect(result).toEqual({ statusCode: 429 });
      expect(handler).not.toHaveBeenCalled();
      expect(injected()).toEqual(['latency', 'timeout', 'diskspace', 'denylist', 'statuscode']);
      expect(await fs.readdir(tmpDir)).toEqual([]);
      expect(dns.lookup).toBe(originalLookup);
    });

    test('corruption applies after the other modes, to the handler\'s result', async () => {
      // GIVEN
      extension.serve(route, flags({
        corruption: { enabled: true, percentage: 100, body: 'garbled' },
        latency: { enabled: true, percentage: 100, minLatency: 0, maxLatency: 10 },
      }));
      // WHEN
      const result = await injectFailure(handlerReturning(OK), local())({}, {});
      // THEN
      expect(result).toEqual({ statusCode: 200, body: 'garbled' });
      expect(injected()).toEqual(['latency', 'corruption']);
    });
  });

  describe('switches', () => {
    test('FAILURE_INJECTION_DISABLED=true calls the handler untouched without reading the configuration', async () => {
      // GIVEN
      extension.serve(route, flags({ exception: { enabled: true, percentage: 100, exceptionMessage: 'boom' } }));
      process.env[FAILURE_INJECTION_DISABLED_ENV] = 'true';
      const handler = handlerReturning(OK);
      // WHEN
      const result = await injectFailure(handler, local())({}, {});
      // THEN
      expect(result).toBe(OK);
      expect(requestCount()).toBe(0);
      expect(log).not.toHaveBeenCalled();
      expect(warn).not.toHaveBeenCalled();
    });

    test('dryRun logs one line per mode it would inject and injects nothing', async () => {
      // GIVEN
      extension.serve(route, flags({
        latency: { enabled: true, percentage: 100, minLatency: 120_000, maxLatency: 120_000 },
        diskspace: { enabled: true, percentage: 100, diskSpace: 1 },
        statuscode: { enabled: true, percentage: 100, statusCode: 500 },
        exception: { enabled: true, percentage: 100, exceptionMessage: 'boom' },
        corruption: { enabled: false },
      }));
      const handler = jest.fn(async () => ({ ...OK, files: (await fs.readdir(tmpDir)).length }));
      const start = Date.now();
      // WHEN
      const result = await injectFailure(handler, local({ dryRun: true }))({}, {});
      // THEN it did not sleep the 2 minutes of latency (far less, however loaded the machine)
      expect(Date.now() - start).toBeLessThan(60_000);
      expect(result).toEqual({ ...OK, files: 0 });
      expect(lines(log)).toEqual([
        expect.objectContaining({ mode: 'latency', latency: 120_000, dryRun: true }),
        expect.objectContaining({ mode: 'diskspace', diskSpace: 1, dryRun: true }),
        expect.objectContaining({ mode: 'statuscode', statusCode: 500, dryRun: true }),
        expect.objectContaining({ mode: 'exception', exceptionMessage: 'boom', dryRun: true }),
      ]);
    });
  });

  test('a logger of the user\'s (such as Powertools Logger) gets every line instead of the console', async () => {
    // GIVEN
    extension.serve(route, flags({ statuscode: { enabled: true, percentage: 100, statusCode: 503 } }));
    const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    // WHEN an injection, then a wrapper without a path
    await injectFailure(handlerReturning(OK), local({ logger }))({}, {});
    await injectFailure(handlerReturning(OK), { logger })({}, {});
    // THEN
    expect(logger.info).toHaveBeenCalledWith('failure injected: statuscode', { mode: 'statuscode', percentage: 100, statusCode: 503 });
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/^failure injection: no configuration path/), {});
    expect(log).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
  });

  describe('caching', () => {
    test('invocations within maxAge read the configuration once; after maxAge it is read again', async () => {
      // GIVEN
      extension.serve(route, ALL_FAILURE_FLAGS_OFF);
      const clock = stopClock();
      const wrapped = injectFailure(handlerReturning(OK), local({ maxAge: 200 }));
      // WHEN two invocations, the second 199 ms after the first
      await wrapped({}, {});
      clock.advance(199);
      await wrapped({}, {});
      // THEN
      expect(requestCount()).toBe(1);
      // WHEN 250 ms after the first
      clock.advance(51);
      await wrapped({}, {});
      // THEN
      expect(requestCount()).toBe(2);
    });

    test('concurrent invocations share one read', async () => {
      // GIVEN
      extension.serve(route, ALL_FAILURE_FLAGS_OFF);
      const wrapped = injectFailure(handlerReturning(OK), local());
      // WHEN
      const results = await Promise.all(Array.from({ length: 10 }, () => wrapped({}, {})));
      // THEN
      expect(results).toEqual(Array(10).fill(OK));
      expect(requestCount()).toBe(1);
    });

    test('a new document is used once the cached one expires', async () => {
      // GIVEN
      extension.serve(route, ALL_FAILURE_FLAGS_OFF);
      const wrapped = injectFailure(handlerReturning(OK), local({ maxAge: 100 }));
      await expect(wrapped({}, {})).resolves.toBe(OK);
      // WHEN
      extension.serve(route, flags({ statuscode: { enabled: true, percentage: 100, statusCode: 500 } }));
      await new Promise(resolve => setTimeout(resolve, 150));
      // THEN
      await expect(wrapped({}, {})).resolves.toEqual({ statusCode: 500 });
    });
  });

  describe('fails safe', () => {
    /** Asserts the handler ran untouched and exactly one warning was logged. */
    async function expectOneWarning(options: FailureInjectionOptions, pattern: RegExp): Promise<any> {
      const handler = handlerReturning(OK);
      const result = await injectFailure(handler, options)({}, {});
      expect(result).toBe(OK);
      expect(handler).toHaveBeenCalledTimes(1);
      expect(log).not.toHaveBeenCalled();
      expect(warn).toHaveBeenCalledTimes(1);
      const [line] = lines(warn);
      expect(line).toEqual(expect.objectContaining({ level: 'WARN', message: expect.stringMatching(pattern) }));
      return line;
    }

    test('when the extension does not answer', async () => {
      // GIVEN: a server that was stopped
      const stopped = await startLocalAppConfigExtension();
      stopped.serve(route, flags({ exception: { enabled: true, percentage: 100, exceptionMessage: 'boom' } }));
      await stopped.stop();
      // WHEN / THEN
      await expectOneWarning(local({ port: stopped.port }), /could not read the configuration/);
    });

    test('an unreachable extension: the warning names the URL, the extension and how to run locally', async () => {
      // GIVEN nothing listens on the port, as outside Lambda
      const stopped = await startLocalAppConfigExtension();
      await stopped.stop();
      // WHEN
      const line = await expectOneWarning(local({ port: stopped.port }), /could not read the configuration/);
      // THEN the same error getConfiguration() throws
      expect(line.url).toBe(`http://127.0.0.1:${stopped.port}${route}`);
      expect(line.error).toMatch(/^could not reach the AWS AppConfig Lambda extension at http:\/\/127\.0\.0\.1:\d+\/.* \(ECONNREFUSED\): .*startLocalAppConfigExtension\(\) of cdk-resilience\/testing/);
    });

    test('clearConfigurationCache() forgets a failed read: the next invocation asks again', async () => {
      // GIVEN a failed read, remembered for maxAge
      extension.answer(route, { status: 500, body: '{"message":"internal"}' });
      const wrapped = injectFailure(handlerReturning(OK), local({ maxAge: 60_000 }));
      await wrapped({}, {});
      // WHEN the cache is cleared and the configuration is fixed
      clearConfigurationCache();
      extension.serve(route, flags({ statuscode: { enabled: true, percentage: 100, statusCode: 503 } }));
      const result = await wrapped({}, {});
      // THEN
      expect(requestCount()).toBe(2);
      expect(result).toEqual({ statusCode: 503 });
    });

    test('after a failed read, the extension is not asked again for maxAge', async () => {
      // GIVEN
      extension.answer(route, { status: 500, body: '{"message":"internal"}' });
      const clock = stopClock();
      const wrapped = injectFailure(handlerReturning(OK), local({ maxAge: 200 }));
      // WHEN two invocations, the second 199 ms after the first
      await wrapped({}, {});
      clock.advance(199);
      await wrapped({}, {});
      // THEN
      expect(requestCount()).toBe(1);
      expect(warn).toHaveBeenCalledTimes(1);
      // WHEN 250 ms after the first
      clock.advance(51);
      await wrapped({}, {});
      // THEN: one more read, one more warning
      expect(requestCount()).toBe(2);
      expect(warn).toHaveBeenCalledTimes(2);
    });

    test('when the extension answers 500', async () => {
      // GIVEN
      extension.answer(route, { status: 500, body: '{"message":"internal"}' });
      // WHEN / THEN
      const line = await expectOneWarning(local(), /could not read the configuration/);
      expect(line.error).toMatch(/500/);
    });

    test('when the configuration is not found (404)', async () => {
      // WHEN / THEN: nothing is served at this route
      await expectOneWarning(local(), /could not read the configuration/);
    });

    test('when the document is malformed JSON', async () => {
      // GIVEN
      extension.answer(route, { status: 200, body: '{"exception": {"enabled": tru' });
      // WHEN / THEN
      await expectOneWarning(local(), /could not read the configuration/);
    });

    test('when a percentage is out of range: no mode is injected, not even the valid ones', async () => {
      // GIVEN
      extension.serve(route, flags({
        latency: { enabled: true, percentage: 150, minLatency: 0, maxLatency: 0 },
        exception: { enabled: true, percentage: 100, exceptionMessage: 'boom' },
      }));
      // WHEN / THEN
      const line = await expectOneWarning(local(), /invalid configuration/);
      expect(line.problems).toEqual(['latency.percentage must be an integer between 0 and 100, got 150']);
    });

    test('when a percentage is a fraction: every number is a whole number, as the construct requires', async () => {
      // GIVEN
      extension.serve(route, flags({ exception: { enabled: true, percentage: 12.5, exceptionMessage: 'boom' } }));
      // WHEN / THEN
      const line = await expectOneWarning(local(), /invalid configuration/);
      expect(line.problems).toEqual(['exception.percentage must be an integer between 0 and 100, got 12.5']);
    });

    test('when a duration is a fraction of a millisecond', async () => {
      // GIVEN
      extension.serve(route, flags({ timeout: { enabled: true, percentage: 100, timeoutBuffer: 0.5 } }));
      // WHEN / THEN
      const line = await expectOneWarning(local(), /invalid configuration/);
      expect(line.problems).toEqual(['timeout.timeoutBuffer must be an integer between 0 and 900000, got 0.5']);
    });

    test('when an enabled denylist lists no expression', async () => {
      // GIVEN
      extension.serve(route, flags({ denylist: { enabled: true, percentage: 100, denylist: [] } }));
      // WHEN / THEN
      const line = await expectOneWarning(local(), /invalid configuration/);
      expect(line.problems).toEqual(['denylist.denylist must list at least 1 regular expression, got 0']);
    });

    test('when a string is longer than AppConfig allows', async () => {
      // GIVEN
      extension.serve(route, flags({
        exception: { enabled: true, percentage: 100, exceptionMessage: 'x'.repeat(1_025) },
        denylist: { enabled: true, percentage: 100, denylist: ['y'.repeat(1_025)] },
      }));
      // WHEN / THEN
      const line = await expectOneWarning(local(), /invalid configuration/);
      expect(line.problems).toEqual([
        'denylist.denylist has a regular expression longer than 1024 characters (AppConfig\'s limit for a flag attribute), got 1025',
        'exception.exceptionMessage must be at most 1024 characters (AppConfig\'s limit for a flag attribute), got 1025',
      ]);
    });

    test('when a statusCode is out of range', async () => {
      // GIVEN
      extension.serve(route, flags({ statuscode: { enabled: true, percentage: 100, statusCode: 42 } }));
      // WHEN / THEN
      const line = await expectOneWarning(local(), /invalid configuration/);
      expect(line.problems).toEqual(['statuscode.statusCode must be an integer between 100 and 599, got 42']);
    });

    test('when values are missing, of the wrong type or out of range, every problem is named in the one warning', async () => {
      // GIVEN
      extension.serve(route, {
        latency: { enabled: true, percentage: 100, minLatency: 400, maxLatency: 100 },
        timeout: { enabled: 'yes' },
        diskspace: { enabled: true, diskSpace: 20_000 },
        denylist: { enabled: true, denylist: ['(unclosed'] },
        exception: { enabled: true },
        corruption: { enabled: true, body: 42 },
      });
      // WHEN / THEN
      const line = await expectOneWarning(local(), /invalid configuration/);
      expect(line.problems).toEqual([
        'latency.maxLatency must be at least minLatency (400), got 100',
        'timeout must be an object with a boolean "enabled", got {"enabled":"yes"}',
        'diskspace.diskSpace must be an integer between 1 and 10240, got 20000',
        expect.stringMatching(/^denylist.denylist has an invalid regular expression "\(unclosed"/),
        'exception.exceptionMessage must be a string, got nothing',
        'corruption.body must be a string, got 42',
      ]);
    });

    test('when the denylist is not an array of strings', async () => {
      // GIVEN
      extension.serve(route, flags({ denylist: { enabled: true, percentage: 100, denylist: 's3' as any } }));
      // WHEN / THEN
      const line = await expectOneWarning(local(), /invalid configuration/);
      expect(line.problems).toEqual(['denylist.denylist must be an array of regular expressions (strings), got "s3"']);
    });

    test('an invalid document is reported once per read, not once per invocation', async () => {
      // GIVEN
      extension.serve(route, flags({ statuscode: { enabled: true, percentage: 100, statusCode: 42 } }));
      const wrapped = injectFailure(handlerReturning(OK), local());
      // WHEN
      for (let i = 0; i < 5; i++) await wrapped({}, {});
      // THEN
      expect(requestCount()).toBe(1);
      expect(warn).toHaveBeenCalledTimes(1);
    });

    test('when the document is not an object of flags', async () => {
      // GIVEN
      extension.answer(route, { status: 200, body: '["latency"]' });
      // WHEN / THEN
      await expectOneWarning(local(), /invalid configuration/);
    });

    test('when the path is missing: one warning for the wrapper, no request', async () => {
      // GIVEN: neither options.path nor FAILURE_INJECTION_CONFIGURATION_PATH
      const handler = handlerReturning(OK);
      const wrapped = injectFailure(handler, { host: '127.0.0.1', port: extension.port });
      const total = () => extension.requests.length;
      const before = total();
      // WHEN
      const results = [await wrapped({}, {}), await wrapped({}, {})];
      // THEN
      expect(results).toEqual([OK, OK]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(lines(warn)[0].message).toMatch(/no configuration path/);
      expect(total()).toBe(before);
    });

    test('a full disk does not break the handler', async () => {
      // GIVEN: a tmpDir that does not exist, so the file cannot be written
      extension.serve(route, flags({ diskspace: { enabled: true, percentage: 100, diskSpace: 1 } }));
      const handler = handlerReturning(OK);
      // WHEN
      const result = await injectFailure(handler, local({ tmpDir: path.join(tmpDir, 'missing') }))({}, {});
      // THEN
      expect(result).toBe(OK);
      expect(lines(warn)).toEqual([expect.objectContaining({ message: expect.stringMatching(/diskspace wrote 0 of 1 MB/) })]);
    });
  });
});
