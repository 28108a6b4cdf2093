/**
 * Tests of the runtime `CircuitBreaker` against dynalite, a real DynamoDB-API
 * server on 127.0.0.1: conditional writes, atomic counters and consistent
 * reads are enforced by the server, not by a mock. No fake timers: the
 * breaker compares `Date.now()` with what it wrote. A test whose steps must
 * fit in an open timeout, a window or a cache's life stops that clock and
 * moves it itself (`stopClock()`), so that a loaded machine, however slow
 * between two steps, cannot let the time run out; DynamoDB and the SDK keep
 * real time.
 */
import { Agent } from 'http';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { LocalDynamoDb, startDynalite } from './dynalite';
import { CIRCUIT_BREAKER_CLIENT_CONFIG, CircuitBreaker, CircuitBreakerOptions, CircuitOpenError } from '../../src/runtime';
import { localCircuitBreakerClient } from '../../src/testing';

const TABLE = 'circuits';
const DAY_SECONDS = 86_400;

let db: LocalDynamoDb;
let reader: DynamoDBClient;
let log: jest.SpyInstance;
let circuitCount = 0;

beforeAll(async () => {
  db = await startDynalite();
  await db.createCircuitTable(TABLE);
  reader = db.client();
});

afterAll(async () => {
  await db.stop();
});

beforeEach(() => {
  log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** A circuit id no other test uses. */
function newCircuitId(name: string): string {
  circuitCount += 1;
  return `${name}-${circuitCount}`;
}

/** A breaker on the shared dynalite table, with its own client (its own Lambda environment). */
function breaker<TFallback = never>(options: CircuitBreakerOptions<TFallback> & { circuitId: string }): CircuitBreaker<TFallback> {
  return new CircuitBreaker<TFallback>({ tableName: TABLE, client: db.client(), ...options });
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, Math.max(ms, 0)));
}

/** Sleeps until `time` (epoch ms) is past, plus a margin. */
async function sleepUntil(time: number, margin = 20): Promise<void> {
  await sleep(time - Date.now() + margin);
}

/** The real clock, whatever a test does to `Date.now()`. */
const realNow = Date.now.bind(Date);

/** Polls `condition` every few ms; throws after `timeout` ms of real time (a loaded machine's). */
async function until(condition: () => boolean, timeout = 30_000): Promise<void> {
  const deadline = realNow() + timeout;
  while (!condition()) {
    if (realNow() > deadline) throw new Error(`condition not met within ${timeout} ms`);
    await sleep(2);
  }
}

/** A clock that stands still until the test moves it. */
interface StoppedClock {
  /** Moves the clock `ms` forward. */
  advance(ms: number): void;
  /** Moves the clock to `time` (epoch ms) plus a margin, as `sleepUntil()` waits. */
  passes(time: number, margin?: number): void;
}

/** Stops the clock the breaker reads (`Date.now()`) for the rest of the test (`afterEach` restores it). */
function stopClock(): StoppedClock {
  let now = realNow();
  jest.spyOn(Date, 'now').mockImplementation(() => now);
  return {
    advance: ms => { now += ms; },
    passes: (time, margin = 20) => { now = Math.max(now, time + margin); },
  };
}

/** The circuit's record in DynamoDB (strings and numbers), or undefined. */
async function record(circuitId: string): Promise<Record<string, string | number> | undefined> {
  const { Item } = await reader.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: circuitId } }, ConsistentRead: true }));
  if (!Item) return undefined;
  return Object.fromEntries(Object.entries(Item).map(([k, v]) => [k, v.N !== undefined ? Number(v.N) : v.S!]));
}

/** The EMF lines the breakers of `circuitId` logged, parsed. */
function emfLines(circuitId: string): any[] {
  return log.mock.calls
    .map(args => { try { return JSON.parse(String(args[0])); } catch { return undefined; } })
    .filter(line => line?._aws?.CloudWatchMetrics !== undefined && line.CircuitId === circuitId);
}

/** The transitions of `circuitId` that were logged, e.g. `['CLOSED -> OPEN']`. */
function transitions(circuitId: string): string[] {
  return emfLines(circuitId).map(line => String(line.message).replace(`circuit ${circuitId}: `, ''));
}

/** The names of the commands a spied client sent. */
function commandsOf(send: jest.SpyInstance): string[] {
  return send.mock.calls.map(c => c[0].constructor.name);
}

/** The error `promise` rejects with (fails the test if it resolves). */
async function errorOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a value');
}

class DownstreamError extends Error {
  constructor(message = 'downstream failed') {
    super(message);
    this.name = 'DownstreamError';
  }
}

/** An error of the downstream that is not a failure of it (a 404, say). */
class NotFound extends Error {
  constructor() {
    super('not found');
    this.name = 'NotFound';
  }
}

const failing = () => Promise.reject(new DownstreamError());
const succeeding = () => Promise.resolve('ok');

describe('CircuitBreaker', () => {
  describe('transitions', () => {
    test('opens at exactly failureThreshold failures, not before, and logs one EMF line', async () => {
      // GIVEN
      const circuitId = newCircuitId('threshold');
      const cb = breaker({ circuitId, failureThreshold: 3, windowDuration: 10_000, stateCacheTtl: 0 });

      // WHEN: two failures
      const first = new DownstreamError('first');
      await expect(cb.fire(() => Promise.reject(first))).rejects.toBe(first);
      await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);

      // THEN: still CLOSED, the failures are counted, nothing logged
      expect(await cb.state()).toBe('CLOSED');
      expect(await record(circuitId)).toMatchObject({ state: 'CLOSED', failures: 2, version: 0 });
      expect(transitions(circuitId)).toEqual([]);

      // WHEN: the third failure
      await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);

      // THEN: OPEN, one CircuitOpened line in EMF
      expect(await cb.state()).toBe('OPEN');
      expect(await record(circuitId)).toMatchObject({ state: 'OPEN', version: 1, failures: 3 });
      const lines = emfLines(circuitId);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        _aws: {
          CloudWatchMetrics: [{
            Namespace: 'CdkResilience/CircuitBreaker',
            Dimensions: [['TableName'], ['TableName', 'CircuitId']],
            Metrics: [{ Name: 'CircuitOpened', Unit: 'Count' }],
          }],
        },
        TableName: TABLE,
        CircuitId: circuitId,
        CircuitOpened: 1,
        message: `circuit ${circuitId}: CLOSED -> OPEN`,
      });
      expect(typeof lines[0]._aws.Timestamp).toBe('number');

      // AND: the next call is refused without calling the operation
      const operation = jest.fn(succeeding);
      await expect(cb.fire(operation)).rejects.toBeInstanceOf(CircuitOpenError);
      expect(operation).not.toHaveBeenCalled();
    });

    test('failures older than windowDuration do not count: a new window starts', async () => {
      // GIVEN
      const circuitId = newCircuitId('window');
      const clock = stopClock();
      const cb = breaker({ circuitId, failureThreshold: 3, windowDuration: 1_000, stateCacheTtl: 0 });
      await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);
      await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);
      const firstWindow = (await record(circuitId))!.windowStart as number;

      // WHEN: the window passes, then two more failures
      clock.advance(1_100);
      await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);
      await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);

      // THEN: 4 failures in all, but only 2 in the new window: still CLOSED
      expect(await cb.state()).toBe('CLOSED');
      const current = (await record(circuitId))!;
      expect(current).toMatchObject({ state: 'CLOSED', failures: 2 });
      expect(current.windowStart as number).toBeGreaterThanOrEqual(firstWindow + 1_000);
      expect(transitions(circuitId)).toEqual([]);

      // WHEN: a third failure in the new window
      await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);

      // THEN
      expect(await cb.state()).toBe('OPEN');
      expect(transitions(circuitId)).toEqual(['CLOSED -> OPEN']);
    });

    test('refuses while OPEN until openTimeout, then one probe (HALF_OPEN); successThreshold probes close it', async () => {
      // GIVEN: a circuit opened by one environment, watched by another
      const circuitId = newCircuitId('lifecycle');
      const clock = stopClock();
      const options = { circuitId, failureThreshold: 1, successThreshold: 2, openTimeout: 500, stateCacheTtl: 0 };
      const cb = breaker(options);
      const other = breaker(options);
      const before = Date.now();
      await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);
      const after = Date.now();
      expect(await other.state()).toBe('OPEN');

      // WHEN: calls before openTimeout
      const operation = jest.fn(succeeding);
      const refused = await errorOf(other.fire(operation));

      // THEN: CircuitOpenError with the circuit, the state and when to retry
      expect(refused).toBeInstanceOf(CircuitOpenError);
      expect(refused.name).toBe('CircuitOpenError');
      expect(refused.circuitId).toBe(circuitId);
      expect(refused.state).toBe('OPEN');
      expect(refused.retryAfter).toBeInstanceOf(Date);
      expect(refused.retryAfter.getTime()).toBeGreaterThanOrEqual(before + 500);
      expect(refused.retryAfter.getTime()).toBeLessThanOrEqual(after + 500);
      expect(refused.message).toBe(`circuit ${circuitId} is OPEN: retry after ${refused.retryAfter.toISOString()}`);
      await expect(cb.fire(operation)).rejects.toBeInstanceOf(CircuitOpenError);
      expect(operation).not.toHaveBeenCalled();

      // WHEN: openTimeout passes; the probe runs; while it runs, another call comes
      clock.passes(refused.retryAfter.getTime());
      let stateDuringProbe: unknown;
      let refusedDuringProbe: any;
      const probe = jest.fn(async () => {
        stateDuringProbe = (await record(circuitId))?.state;
        refusedDuringProbe = await errorOf(other.fire(operation));
        return 'probed';
      });
      const result = await cb.fire(probe);

      // THEN: the probe ran in HALF_OPEN and others were refused meanwhile
      expect(result).toBe('probed');
      expect(probe).toHaveBeenCalledTimes(1);
      expect(stateDuringProbe).toBe('HALF_OPEN');
      expect(refusedDuringProbe).toBeInstanceOf(CircuitOpenError);
      expect(refusedDuringProbe.state).toBe('HALF_OPEN');
      expect(operation).not.toHaveBeenCalled();
      // one success of two: still HALF_OPEN
      expect(await other.state()).toBe('HALF_OPEN');
      expect(await record(circuitId)).toMatchObject({ state: 'HALF_OPEN', successes: 1 });

      // WHEN: a second successful probe (from the other environment)
      await expect(other.fire(succeeding)).resolves.toBe('ok');

      // THEN: CLOSED, for both environments
      expect(await other.state()).toBe('CLOSED');
      expect(await cb.state()).toBe('CLOSED');
      expect(transitions(circuitId)).toEqual(['CLOSED -> OPEN', 'OPEN -> HALF_OPEN', 'HALF_OPEN -> CLOSED']);
      expect(emfLines(circuitId).map(line => line._aws.CloudWatchMetrics[0].Metrics[0].Name))
        .toEqual(['CircuitOpened', 'CircuitHalfOpened', 'CircuitClosed']);
      expect(emfLines(circuitId)[2]).toMatchObject({ CircuitClosed: 1 });
      await expect(cb.fire(succeeding)).resolves.toBe('ok');
    });

    test('a failed probe reopens with the open timeout doubled, capped at maxOpenTimeout; closing resets it', async () => {
      // GIVEN
      const circuitId = newCircuitId('doubling');
      const clock = stopClock();
      const cb = breaker({ circuitId, failureThreshold: 1, successThreshold: 1, openTimeout: 250, maxOpenTimeout: 750, stateCacheTtl: 0 });

      /** Runs `operation` (which opens the circuit), checks how long it stays OPEN, and waits for that. */
      const opensFor = async (operation: () => Promise<unknown>, expected: number) => {
        const before = Date.now();
        await expect(cb.fire(operation)).rejects.toBeInstanceOf(DownstreamError);
        const after = Date.now();
        const refused = await errorOf(cb.fire(succeeding));
        expect(refused).toBeInstanceOf(CircuitOpenError);
        const retryAfter = refused.retryAfter.getTime();
        expect(retryAfter).toBeGreaterThanOrEqual(before + expected);
        expect(retryAfter).toBeLessThanOrEqual(after + expected);
        clock.passes(retryAfter);
      };

      // WHEN / THEN: opened, then three failed probes: 250, 500, 750 (not 1000), 750 ms
      await opensFor(failing, 250);
      await opensFor(failing, 500);
      await opensFor(failing, 750);
      await opensFor(failing, 750);
      expect(await record(circuitId)).toMatchObject({ state: 'OPEN', consecutiveOpens: 4 });

      // WHEN: a successful probe closes it, then it opens again
      await expect(cb.fire(succeeding)).resolves.toBe('ok');
      expect(await cb.state()).toBe('CLOSED');
      expect(await record(circuitId)).toMatchObject({ state: 'CLOSED', consecutiveOpens: 0 });

      // THEN: the open timeout is back to 250 ms
      await opensFor(failing, 250);
      expect(transitions(circuitId)).toEqual([
        'CLOSED -> OPEN',
        'OPEN -> HALF_OPEN', 'HALF_OPEN -> OPEN',
        'OPEN -> HALF_OPEN', 'HALF_OPEN -> OPEN',
        'OPEN -> HALF_OPEN', 'HALF_OPEN -> OPEN',
        'OPEN -> HALF_OPEN', 'HALF_OPEN -> CLOSED',
        'CLOSED -> OPEN',
      ]);
    });
  });

  test('the record: its state, a version incremented on every transition, and a TTL refreshed on every write', async () => {
    // GIVEN
    const circuitId = newCircuitId('record');
    const clock = stopClock();
    const cb = breaker({ circuitId, failureThreshold: 1, successThreshold: 1, openTimeout: 1_100, stateCacheTtl: 0 });
    expect(await record(circuitId)).toBeUndefined();

    // WHEN: the circuit opens
    const before = Date.now();
    await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);
    const after = Date.now();

    // THEN
    const opened = (await record(circuitId))!;
    expect(opened).toMatchObject({ id: circuitId, state: 'OPEN', version: 1, failures: 1 });
    expect(opened.expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) + DAY_SECONDS);
    expect(opened.expiresAt).toBeLessThanOrEqual(Math.floor(after / 1000) + DAY_SECONDS);
    expect(opened.openUntil).toBeGreaterThanOrEqual(before + 1_100);
    expect(opened.openUntil).toBeLessThanOrEqual(after + 1_100);

    // WHEN: more than a second later, a probe closes it
    clock.passes(opened.openUntil as number);
    let probing: Record<string, string | number> | undefined;
    await expect(cb.fire(async () => {
      probing = await record(circuitId);
      return 'ok';
    })).resolves.toBe('ok');

    // THEN: one version per transition, and a later expiry
    expect(probing).toMatchObject({ state: 'HALF_OPEN', version: 2 });
    const closed = (await record(circuitId))!;
    expect(closed).toMatchObject({ state: 'CLOSED', version: 3, failures: 0 });
    expect(closed.expiresAt).toBeGreaterThan(opened.expiresAt as number);
    expect(closed.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + DAY_SECONDS);

    // WHEN / THEN: a failure counted later refreshes the TTL too (no transition: same version)
    clock.advance(1_000);
    const cb2 = breaker({ circuitId, failureThreshold: 2, stateCacheTtl: 0 });
    await expect(cb2.fire(failing)).rejects.toBeInstanceOf(DownstreamError);
    const counted = (await record(circuitId))!;
    expect(counted).toMatchObject({ state: 'CLOSED', version: 3, failures: 1 });
    expect(counted.expiresAt).toBeGreaterThan(closed.expiresAt as number);
  });

  describe('DynamoDB requests', () => {
    test('the healthy path: 100 calls read once per stateCacheTtl and write nothing', async () => {
      // GIVEN
      const clock = stopClock();
      const client = db.client();
      const send = jest.spyOn(client, 'send');
      const cb = new CircuitBreaker({ circuitId: newCircuitId('healthy'), tableName: TABLE, client, stateCacheTtl: 1_000 });

      // WHEN: 100 calls within one stateCacheTtl (999 ms from the first)
      for (let i = 0; i < 100; i++) {
        if (i === 99) clock.advance(999);
        await expect(cb.fire(() => i)).resolves.toBe(i);
      }

      // THEN
      expect(commandsOf(send)).toEqual(['GetItemCommand']);

      // WHEN / THEN: once stateCacheTtl has passed, the next call reads again
      clock.advance(1);
      await expect(cb.fire(() => 100)).resolves.toBe(100);
      expect(commandsOf(send)).toEqual(['GetItemCommand', 'GetItemCommand']);
    });

    test('the healthy path: 100 concurrent calls in one environment share one read', async () => {
      // GIVEN: one environment handling a batch concurrently (Promise.all over records)
      const client = db.client();
      const send = jest.spyOn(client, 'send');
      const cb = new CircuitBreaker({ circuitId: newCircuitId('healthy-concurrent'), tableName: TABLE, client, stateCacheTtl: 1_000 });

      // WHEN
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => cb.fire(() => i)));

      // THEN: "reads at most once per stateCacheTtl"
      expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(commandsOf(send).filter(name => name === 'UpdateItemCommand')).toEqual([]);
      expect(commandsOf(send).filter(name => name === 'GetItemCommand')).toHaveLength(1);
    });

    test('with stateCacheTtl 0, every call reads and none writes', async () => {
      // GIVEN
      const client = db.client();
      const send = jest.spyOn(client, 'send');
      const cb = new CircuitBreaker({ circuitId: newCircuitId('uncached'), tableName: TABLE, client, stateCacheTtl: 0 });

      // WHEN
      for (let i = 0; i < 20; i++) {
        await expect(cb.fire(succeeding)).resolves.toBe('ok');
      }

      // THEN
      expect(commandsOf(send)).toEqual(Array(20).fill('GetItemCommand'));
    });

    test('while OPEN, calls make no DynamoDB request until openTimeout passes', async () => {
      // GIVEN: a circuit opened by one environment and read once by another
      const circuitId = newCircuitId('open-cached');
      const clock = stopClock();
      const options = { circuitId, failureThreshold: 1, successThreshold: 1, openTimeout: 1_000, stateCacheTtl: 0 };
      const openerClient = db.client();
      const opener = new CircuitBreaker({ ...options, tableName: TABLE, client: openerClient });
      const client = db.client();
      const send = jest.spyOn(client, 'send');
      const watcher = new CircuitBreaker({ ...options, tableName: TABLE, client });
      const openerSend = jest.spyOn(openerClient, 'send');
      await expect(opener.fire(failing)).rejects.toBeInstanceOf(DownstreamError);
      openerSend.mockClear();

      // WHEN: 20 calls in each environment before openTimeout
      const operation = jest.fn(succeeding);
      let retryAfter = 0;
      for (let i = 0; i < 20; i++) {
        const refused = await errorOf(watcher.fire(operation));
        expect(refused).toBeInstanceOf(CircuitOpenError);
        retryAfter = refused.retryAfter.getTime();
        await expect(opener.fire(operation)).rejects.toBeInstanceOf(CircuitOpenError);
      }

      // THEN: the opener asked nothing, the watcher read once
      expect(operation).not.toHaveBeenCalled();
      expect(commandsOf(openerSend)).toEqual([]);
      expect(commandsOf(send)).toEqual(['GetItemCommand']);

      // WHEN: openTimeout passes
      clock.passes(retryAfter);
      await expect(watcher.fire(operation)).resolves.toBe('ok');

      // THEN: a read, the probe's claim and the closing write
      expect(commandsOf(send)).toEqual(['GetItemCommand', 'GetItemCommand', 'UpdateItemCommand', 'UpdateItemCommand']);
      expect(await watcher.state()).toBe('CLOSED');
    });
  });

  describe('fallback', () => {
    test('a refused call returns the fallback\'s value; the fallback gets the CircuitOpenError', async () => {
      // GIVEN
      const circuitId = newCircuitId('fallback');
      const fallback = jest.fn((error: CircuitOpenError) => `fallback for ${error.circuitId}`);
      const cb = breaker({ circuitId, failureThreshold: 1, openTimeout: 5_000, stateCacheTtl: 0, fallback });

      // WHEN: the operation itself fails
      const failure = new DownstreamError();
      const error = await errorOf(cb.fire<string>(() => Promise.reject(failure)));

      // THEN: its error is thrown as it is; no fallback
      expect(error).toBe(failure);
      expect(fallback).not.toHaveBeenCalled();

      // WHEN: the open circuit refuses a call
      const operation = jest.fn(succeeding);
      const result = await cb.fire(operation);

      // THEN
      expect(result).toBe(`fallback for ${circuitId}`);
      expect(operation).not.toHaveBeenCalled();
      expect(fallback).toHaveBeenCalledTimes(1);
      const given = fallback.mock.calls[0][0];
      expect(given).toBeInstanceOf(CircuitOpenError);
      expect(given).toMatchObject({ circuitId, state: 'OPEN' });
      expect(given.retryAfter!.getTime()).toBeGreaterThan(Date.now());
    });
  });

  describe('isFailure', () => {
    test('errors that are not failures are thrown but not counted', async () => {
      // GIVEN
      const circuitId = newCircuitId('not-failure');
      const client = db.client();
      const send = jest.spyOn(client, 'send');
      const cb = new CircuitBreaker({
        circuitId,
        tableName: TABLE,
        client,
        failureThreshold: 2,
        stateCacheTtl: 0,
        isFailure: error => !(error instanceof NotFound),
      });

      // WHEN: 5 errors that are not failures
      for (let i = 0; i < 5; i++) {
        const notFound = new NotFound();
        await expect(cb.fire(() => Promise.reject(notFound))).rejects.toBe(notFound);
      }

      // THEN: not counted, not even written
      expect(await cb.state()).toBe('CLOSED');
      expect(await record(circuitId)).toBeUndefined();
      expect(commandsOf(send).filter(name => name !== 'GetItemCommand')).toEqual([]);

      // WHEN / THEN: two real failures open it
      await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);
      await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);
      expect(await cb.state()).toBe('OPEN');
    });

    test('a probe whose error is not a failure counts as a success', async () => {
      // GIVEN: an OPEN circuit whose timeout is over
      const circuitId = newCircuitId('probe-not-failure');
      const cb = breaker({
        circuitId,
        failureThreshold: 1,
        successThreshold: 1,
        openTimeout: 100,
        stateCacheTtl: 0,
        isFailure: error => !(error instanceof NotFound),
      });
      await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);
      await sleepUntil((await record(circuitId))!.openUntil as number);

      // WHEN: the probe throws an error that is not a failure
      const notFound = new NotFound();
      const error = await errorOf(cb.fire(() => Promise.reject(notFound)));

      // THEN: the error is thrown as is, and the circuit closes
      expect(error).toBe(notFound);
      expect(await cb.state()).toBe('CLOSED');
      expect(transitions(circuitId)).toEqual(['CLOSED -> OPEN', 'OPEN -> HALF_OPEN', 'HALF_OPEN -> CLOSED']);
    });
  });

  test('a logger of the user\'s gets the DynamoDB failures; the transition metrics stay on stdout', async () => {
    // GIVEN a breaker with its own logger, and a DynamoDB that is not there
    const gone = await startDynalite();
    await gone.stop();
    const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const cb = new CircuitBreaker({ circuitId: newCircuitId('logger'), tableName: TABLE, client: gone.client(), logger });
    // WHEN
    await expect(cb.fire(succeeding)).resolves.toBe('ok');
    // THEN
    expect(logger.error).toHaveBeenCalledWith(expect.stringMatching(/DynamoDB GetItem failed .*failing open: calls go through$/), { error: expect.any(String) });
    expect(error).not.toHaveBeenCalled();
  });

  test('localCircuitBreakerClient of cdk-resilience/testing points a breaker at a local server with the documented client limits', async () => {
    // GIVEN
    const client = localCircuitBreakerClient(db.endpoint);
    const cb = new CircuitBreaker({ circuitId: newCircuitId('local-client'), tableName: TABLE, client, failureThreshold: 1, stateCacheTtl: 0 });
    // WHEN the downstream fails once
    await errorOf(cb.fire(() => Promise.reject(new DownstreamError())));
    // THEN the circuit opened in the local table, and the client keeps the breaker's limits
    expect(await cb.state()).toBe('OPEN');
    expect(await client.config.maxAttempts()).toBe(CIRCUIT_BREAKER_CLIENT_CONFIG.maxAttempts);
  });

  describe('DynamoDB outage', () => {
    /** The promises `send` returned that rejected (the requests that failed). */
    async function failedRequests(send: jest.SpyInstance): Promise<number> {
      const settled = await Promise.allSettled(send.mock.results.map(r => r.value));
      return settled.filter(s => s.status === 'rejected').length;
    }

    function errorLines(error: jest.SpyInstance): any[] {
      return error.mock.calls.map(args => JSON.parse(String(args[0])));
    }

    test('fails open: operations run, their values are returned, one error line per failed request', async () => {
      // GIVEN: a breaker on a DynamoDB that goes away
      const outage = await startDynalite();
      try {
        await outage.createCircuitTable(TABLE);
        const circuitId = newCircuitId('fail-open');
        const client = outage.client();
        const send = jest.spyOn(client, 'send');
        const cb = new CircuitBreaker({ circuitId, tableName: TABLE, client, failureThreshold: 1, stateCacheTtl: 0 });
        const cached = new CircuitBreaker({ circuitId, tableName: TABLE, client: outage.client(), failureThreshold: 1, stateCacheTtl: 60_000 });
        await expect(cb.fire(succeeding)).resolves.toBe('ok');
        await expect(cached.fire(succeeding)).resolves.toBe('ok');
        const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);

        // WHEN: DynamoDB stops; 5 calls
        await outage.stop();
        send.mockClear();
        const operation = jest.fn(succeeding);
        for (let i = 0; i < 5; i++) {
          await expect(cb.fire(operation)).resolves.toBe('ok');
          await sleep(5);
        }

        // THEN: every call went through; one line per failed request, and no other
        expect(operation).toHaveBeenCalledTimes(5);
        expect(send).toHaveBeenCalledTimes(5);
        expect(await failedRequests(send)).toBe(5);
        expect(error).toHaveBeenCalledTimes(5);
        for (const line of errorLines(error)) {
          expect(line.message).toBe(`circuit ${circuitId}: DynamoDB GetItem failed (${line.message.match(/\((\w+)\)/)[1]}); failing open: calls go through`);
          expect(typeof line.error).toBe('string');
        }
        expect(await cb.state()).toBeUndefined();

        // WHEN: the operation itself fails during the outage
        error.mockClear();
        send.mockClear();
        await sleep(5);
        const failure = new DownstreamError();
        const thrown = await errorOf(cb.fire(() => Promise.reject(failure)));

        // THEN: its error is thrown as it is (never DynamoDB's)
        expect(thrown).toBe(failure);
        expect(await failedRequests(send)).toBe(1);
        expect(error).toHaveBeenCalledTimes(1);

        // WHEN: an environment that still trusts its cached CLOSED state fails to count a failure
        error.mockClear();
        const failure2 = new DownstreamError();
        const thrown2 = await errorOf(cached.fire(() => Promise.reject(failure2)));

        // THEN: the operation's error, and one line for the failed write
        expect(thrown2).toBe(failure2);
        expect(error).toHaveBeenCalledTimes(1);
        expect(errorLines(error)[0].message).toMatch(new RegExp(`^circuit ${circuitId}: DynamoDB UpdateItem failed \\(\\w+\\); failing open`));
        expect(transitions(circuitId)).toEqual([]);
      } finally {
        await outage.stop();
      }
    });

    test('fails closed: calls are refused with CircuitOpenError, or get the fallback', async () => {
      // GIVEN
      const outage = await startDynalite();
      try {
        await outage.createCircuitTable(TABLE);
        const circuitId = newCircuitId('fail-closed');
        const client = outage.client();
        const send = jest.spyOn(client, 'send');
        const cb = new CircuitBreaker({ circuitId, tableName: TABLE, client, failOpen: false, stateCacheTtl: 0 });
        const withFallback = new CircuitBreaker({
          circuitId,
          tableName: TABLE,
          client: outage.client(),
          failOpen: false,
          stateCacheTtl: 0,
          fallback: e => `fallback (${e.state})`,
        });
        await expect(cb.fire(succeeding)).resolves.toBe('ok');
        const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);

        // WHEN: DynamoDB stops
        await outage.stop();
        send.mockClear();
        const operation = jest.fn(succeeding);
        const refusals = [];
        for (let i = 0; i < 3; i++) {
          refusals.push(await errorOf(cb.fire(operation)));
          await sleep(5);
        }
        const fallbackResult = await withFallback.fire(operation);

        // THEN: refused, never calling the operation, never throwing DynamoDB's error
        for (const refused of refusals) {
          expect(refused).toBeInstanceOf(CircuitOpenError);
          expect(refused).toMatchObject({ circuitId, state: 'OPEN' });
        }
        expect(fallbackResult).toBe('fallback (OPEN)');
        expect(operation).not.toHaveBeenCalled();
        expect(await failedRequests(send)).toBe(3);
        expect(error).toHaveBeenCalledTimes(4);
        for (const line of errorLines(error)) {
          expect(line.message).toMatch(new RegExp(`^circuit ${circuitId}: DynamoDB GetItem failed \\(\\w+\\); failing closed: calls are refused$`));
        }
      } finally {
        await outage.stop();
      }
    });
  });

  describe('validation', () => {
    const valid = { circuitId: 'validation', tableName: TABLE };

    test.each([
      [{ failureThreshold: 0 }, /failureThreshold must be an integer of at least 1, got 0/],
      [{ failureThreshold: 1.5 }, /failureThreshold must be an integer of at least 1, got 1.5/],
      [{ successThreshold: 0 }, /successThreshold must be an integer of at least 1, got 0/],
      [{ windowDuration: 0 }, /windowDuration must be a positive number of milliseconds, got 0/],
      [{ windowDuration: -1 }, /windowDuration must be a positive number of milliseconds, got -1/],
      [{ openTimeout: 0 }, /openTimeout must be a positive number of milliseconds, got 0/],
      [{ openTimeout: 10_000, maxOpenTimeout: 5_000 }, /maxOpenTimeout must be at least openTimeout \(10000 ms\), got 5000 ms/],
      [{ probeTimeout: 0 }, /probeTimeout must be a positive number of milliseconds, got 0/],
      [{ stateCacheTtl: -1 }, /stateCacheTtl must be zero or a positive number of milliseconds, got -1/],
      [{ circuitId: '' }, /circuitId must be a non-empty string \(default: AWS_LAMBDA_FUNCTION_NAME\), got ""/],
    ] as Array<[Partial<CircuitBreakerOptions>, RegExp]>)('fails if %j', (options, message) => {
      // WHEN / THEN
      expect(() => new CircuitBreaker({ ...valid, client: reader, ...options })).toThrow(message);
    });

    test('fails if there is no table name and no CIRCUIT_BREAKER_TABLE', () => {
      // GIVEN
      const saved = process.env.CIRCUIT_BREAKER_TABLE;
      delete process.env.CIRCUIT_BREAKER_TABLE;
      try {
        // WHEN / THEN
        expect(() => new CircuitBreaker({ circuitId: 'no-table', client: reader }))
          .toThrow(/tableName must be given or CIRCUIT_BREAKER_TABLE set .*got nothing/);
      } finally {
        if (saved !== undefined) process.env.CIRCUIT_BREAKER_TABLE = saved;
      }
    });

    test('fails if there is no circuitId and no AWS_LAMBDA_FUNCTION_NAME', () => {
      // GIVEN
      const saved = process.env.AWS_LAMBDA_FUNCTION_NAME;
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      try {
        // WHEN / THEN
        expect(() => new CircuitBreaker({ tableName: TABLE, client: reader })).toThrow(/circuitId must be a non-empty string/);
      } finally {
        if (saved !== undefined) process.env.AWS_LAMBDA_FUNCTION_NAME = saved;
      }
    });
  });

  test('defaults: circuitId from AWS_LAMBDA_FUNCTION_NAME, tableName from CIRCUIT_BREAKER_TABLE, 5 failures, 10 s open', async () => {
    // GIVEN
    const saved = { fn: process.env.AWS_LAMBDA_FUNCTION_NAME, table: process.env.CIRCUIT_BREAKER_TABLE };
    const functionName = newCircuitId('orders-function');
    process.env.AWS_LAMBDA_FUNCTION_NAME = functionName;
    process.env.CIRCUIT_BREAKER_TABLE = TABLE;
    try {
      const client = db.client();
      const send = jest.spyOn(client, 'send');

      // WHEN
      const cb = new CircuitBreaker({ client });
      for (let i = 0; i < 4; i++) {
        await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);
      }

      // THEN: the function's circuit, in the table of the environment; 4 failures keep it CLOSED
      expect(cb.circuitId).toBe(functionName);
      expect(send.mock.calls[0][0].input).toMatchObject({ TableName: TABLE, Key: { id: { S: functionName } } });
      expect(await record(functionName)).toMatchObject({ state: 'CLOSED', failures: 4 });

      // WHEN / THEN: the fifth opens it for 10 s
      const before = Date.now();
      await expect(cb.fire(failing)).rejects.toBeInstanceOf(DownstreamError);
      const after = Date.now();
      const refused = await errorOf(cb.fire(succeeding));
      expect(refused).toBeInstanceOf(CircuitOpenError);
      expect(refused.retryAfter.getTime()).toBeGreaterThanOrEqual(before + 10_000);
      expect(refused.retryAfter.getTime()).toBeLessThanOrEqual(after + 10_000);
      expect(transitions(functionName)).toEqual(['CLOSED -> OPEN']);
    } finally {
      for (const [name, value] of [['AWS_LAMBDA_FUNCTION_NAME', saved.fn], ['CIRCUIT_BREAKER_TABLE', saved.table]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  describe('many environments', () => {
    const ENVIRONMENTS = 50;
    const clients: DynamoDBClient[] = [];

    afterAll(() => clients.forEach(c => c.destroy()));

    /**
     * A breaker with a client of its own, as in its own Lambda environment. The
     * client keeps no idle connection: under load, a request on a connection the
     * server is closing would fail with ECONNRESET and the breaker would
     * (rightly) fail open, which is not what these tests are about.
     */
    function environment(options: CircuitBreakerOptions & { circuitId: string }): CircuitBreaker {
      const client = new DynamoDBClient({
        endpoint: db.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
        requestHandler: { httpAgent: new Agent({ keepAlive: false }) },
      });
      clients.push(client);
      return new CircuitBreaker({ tableName: TABLE, client, ...options });
    }

    /**
     * Fires every breaker at once. The downstream counts its calls and holds
     * each call until every other call has settled or reached it, then lets
     * them all go at once: a second probe, if the breaker allowed one, would
     * overlap the first and be seen, and failures reach DynamoDB together.
     */
    async function fireAll(breakers: CircuitBreaker[], outcome: () => Promise<string>) {
      let calls = 0;
      let inFlight = 0;
      let maxInFlight = 0;
      let settled = 0;
      let release!: () => void;
      const everyoneThere = new Promise<void>(resolve => { release = resolve; });
      const check = () => {
        if (settled + inFlight >= breakers.length) release();
      };
      const downstream = async () => {
        calls += 1;
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        check();
        try {
          await everyoneThere;
          return await outcome();
        } finally {
          inFlight -= 1;
        }
      };
      const results = await Promise.allSettled(breakers.map(b => b.fire(downstream).finally(() => {
        settled += 1;
        check();
      })));
      const values = results.filter(r => r.status === 'fulfilled').map(r => (r as PromiseFulfilledResult<string>).value);
      const errors = results.filter(r => r.status === 'rejected').map(r => (r as PromiseRejectedResult).reason);
      return { calls, maxInFlight, values, errors };
    }

    test('50 environments: one CLOSED -> OPEN, no lost failures, one probe at a time, one HALF_OPEN -> CLOSED', async () => {
      // GIVEN: 50 environments sharing a circuit
      const circuitId = newCircuitId('shared');
      const clock = stopClock();
      const breakers = Array.from({ length: ENVIRONMENTS }, () => environment({
        circuitId, failureThreshold: 5, successThreshold: 2, openTimeout: 1_000, stateCacheTtl: 0,
      }));

      // WHEN: all fail at once
      const failed = await fireAll(breakers, failing);

      // THEN: exactly one transition, and at least the threshold counted before it
      expect(failed.values).toEqual([]);
      for (const error of failed.errors) {
        expect(error instanceof DownstreamError || error instanceof CircuitOpenError).toBe(true);
      }
      expect(failed.errors.filter(e => e instanceof DownstreamError)).toHaveLength(failed.calls);
      expect(failed.calls).toBeGreaterThanOrEqual(5);
      expect(transitions(circuitId)).toEqual(['CLOSED -> OPEN']);
      const opened = (await record(circuitId))!;
      expect(opened).toMatchObject({ state: 'OPEN', version: 1 });
      expect(opened.failures).toBeGreaterThanOrEqual(5);

      // WHEN: after openTimeout, the downstream has recovered; all fire at once, round after round
      clock.passes(opened.openUntil as number);
      const rounds = [];
      const records = [];
      for (let round = 0; round < 3; round++) {
        rounds.push(await fireAll(breakers, succeeding));
        records.push(await record(circuitId));
      }

      // THEN: two rounds of exactly one probe each (the others refused), then CLOSED for all
      for (const round of rounds.slice(0, 2)) {
        expect(round.calls).toBe(1);
        expect(round.maxInFlight).toBe(1);
        expect(round.values).toEqual(['ok']);
        expect(round.errors).toHaveLength(ENVIRONMENTS - 1);
        for (const error of round.errors) {
          expect(error).toBeInstanceOf(CircuitOpenError);
        }
      }
      expect(records[0]).toMatchObject({ state: 'HALF_OPEN', successes: 1, version: 3 });
      expect(records[1]).toMatchObject({ state: 'CLOSED', version: 5 });
      expect(rounds[2].calls).toBe(ENVIRONMENTS);
      expect(rounds[2].errors).toEqual([]);
      expect(transitions(circuitId)).toEqual(['CLOSED -> OPEN', 'OPEN -> HALF_OPEN', 'HALF_OPEN -> CLOSED']);
      expect(await breakers[0].state()).toBe('CLOSED');
    });

    test('no failure is lost: 50 concurrent failures open a circuit whose threshold is 50', async () => {
      // GIVEN: 50 environments, a threshold of 50, a fresh circuit
      const circuitId = newCircuitId('no-lost-failure');
      const breakers = Array.from({ length: ENVIRONMENTS }, () => environment({ circuitId, failureThreshold: ENVIRONMENTS, stateCacheTtl: 0 }));

      // WHEN: all 50 fail at once
      const failed = await fireAll(breakers, failing);

      // THEN: every failure counted: the circuit opens, once
      expect(failed.calls).toBe(ENVIRONMENTS);
      expect(failed.errors.filter(e => e instanceof DownstreamError)).toHaveLength(ENVIRONMENTS);
      expect(await record(circuitId)).toMatchObject({ state: 'OPEN', version: 1, failures: ENVIRONMENTS });
      expect(transitions(circuitId)).toEqual(['CLOSED -> OPEN']);
    });

    test('no failure is lost when 50 concurrent failures start a new window together', async () => {
      // GIVEN: 50 environments, a threshold of 50, and a CLOSED circuit whose window ended long ago
      const circuitId = newCircuitId('no-lost-failure-window');
      const oldWindow = Date.now() - 120_000;
      await reader.send(new PutItemCommand({
        TableName: TABLE,
        Item: {
          id: { S: circuitId },
          state: { S: 'CLOSED' },
          version: { N: '0' },
          failures: { N: '3' },
          windowStart: { N: String(oldWindow) },
          openUntil: { N: '0' },
          consecutiveOpens: { N: '0' },
          successes: { N: '0' },
          probeUntil: { N: '0' },
        },
      }));
      const breakers = Array.from({ length: ENVIRONMENTS }, () => environment({
        circuitId, failureThreshold: ENVIRONMENTS, windowDuration: 60_000, stateCacheTtl: 0,
      }));

      // WHEN: all 50 fail at once: each finds the window over, and all race to start the new one
      const failed = await fireAll(breakers, failing);

      // THEN: every failure counted in the new window: the circuit opens, once
      expect(failed.calls).toBe(ENVIRONMENTS);
      const opened = (await record(circuitId))!;
      expect(opened).toMatchObject({ state: 'OPEN', version: 1, failures: ENVIRONMENTS });
      expect(opened.windowStart).toBeGreaterThan(oldWindow + 60_000);
      expect(transitions(circuitId)).toEqual(['CLOSED -> OPEN']);
    });

    test('a probe whose environment died: after probeTimeout, one and only one other environment probes', async () => {
      // GIVEN: an OPEN circuit whose timeout is over; one environment claims the probe and never reports
      const circuitId = newCircuitId('dead-probe');
      const clock = stopClock();
      const breakers = Array.from({ length: 20 }, () => environment({
        circuitId, failureThreshold: 1, successThreshold: 1, openTimeout: 200, probeTimeout: 1_000, stateCacheTtl: 0,
      }));
      const [dying, ...others] = breakers;
      await expect(dying.fire(failing)).rejects.toBeInstanceOf(DownstreamError);
      clock.passes((await record(circuitId))!.openUntil as number);
      let reportLate!: (value: string) => void;
      const claimedAt = Date.now();
      const hungProbe = dying.fire(() => new Promise<string>(resolve => { reportLate = resolve; }));
      await until(() => reportLate !== undefined);
      const claimed = (await record(circuitId))!;
      expect(claimed).toMatchObject({ state: 'HALF_OPEN', version: 2 });
      expect(claimed.probeUntil).toBeGreaterThanOrEqual(claimedAt + 1_000);
      expect(claimed.probeUntil).toBeLessThanOrEqual(Date.now() + 1_000);

      // WHEN: the others fire before probeTimeout
      const early = await fireAll(others, succeeding);

      // THEN: all refused
      expect(early.calls).toBe(0);
      expect(early.errors).toHaveLength(others.length);
      for (const error of early.errors) {
        expect(error).toBeInstanceOf(CircuitOpenError);
        expect(error.state).toBe('HALF_OPEN');
      }

      // WHEN: probeTimeout passes; the others fire at once
      clock.passes(claimed.probeUntil as number);
      const reclaimedAt = Date.now();
      let duringProbe: Record<string, string | number> | undefined;
      let probeStarted = 0;
      const late = await fireAll(others, async () => {
        probeStarted = Date.now();
        duringProbe = await record(circuitId);
        return 'ok';
      });

      // THEN: exactly one probed, holding its own claim for probeTimeout, and closed the circuit
      expect(duringProbe).toMatchObject({ state: 'HALF_OPEN', version: 3 });
      expect(duringProbe!.probeUntil).toBeGreaterThanOrEqual(reclaimedAt + 1_000);
      expect(duringProbe!.probeUntil).toBeLessThanOrEqual(probeStarted + 1_000);
      expect(late.calls).toBe(1);
      expect(late.values).toEqual(['ok']);
      expect(late.errors).toHaveLength(others.length - 1);
      expect(await record(circuitId)).toMatchObject({ state: 'CLOSED', version: 4 });

      // WHEN: the dead probe reports at last
      reportLate('late');

      // THEN: its caller gets its value, but its stale claim changes nothing
      await expect(hungProbe).resolves.toBe('late');
      expect(await record(circuitId)).toMatchObject({ state: 'CLOSED', version: 4 });
      expect(transitions(circuitId)).toEqual(['CLOSED -> OPEN', 'OPEN -> HALF_OPEN', 'HALF_OPEN -> CLOSED']);
    });
  });
});
