/**
 * Every refusal the runtime reference documents, held at run time, from plain
 * JavaScript: no types, so nothing here is refused by a compiler. Each test
 * names what the reference promises, then calls the runtime as a JavaScript
 * handler would, mistakes included.
 *
 * Real parts: dynalite (the circuit's table), the local AppConfig extension
 * of cdk-resilience/testing, and ports nothing listens on (an SQS or a
 * DynamoDB that cannot be reached).
 */
const { SQSClient } = require('@aws-sdk/client-sqs');
const { startDynalite } = require('./dynalite');
const runtime = require('../../src/runtime');
const testing = require('../../src/testing');

const { BatchDeferral, CircuitBreaker, CircuitOpenError, getConfiguration, injectFailure, clearConfigurationCache } = runtime;

const TABLE = 'circuits';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:orders';
/** An endpoint that refuses connections: nothing listens on port 1. */
const NOWHERE = 'http://127.0.0.1:1';

let db;
let extension;
let count = 0;

beforeAll(async () => {
  db = await startDynalite();
  await db.createCircuitTable(TABLE);
  extension = await testing.startLocalAppConfigExtension();
});

afterAll(async () => {
  await extension.stop();
  await db.stop();
});

beforeEach(() => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  clearConfigurationCache();
  extension.reset();
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** A circuit id no other test uses. */
function circuitId() {
  count += 1;
  return `payments-${count}`;
}

function breaker(options = {}) {
  return new CircuitBreaker({ tableName: TABLE, circuitId: circuitId(), client: db.client(), stateCacheTtl: 0, ...options });
}

/** A breaker whose circuit one failure opened, for 20 s. */
async function openBreaker() {
  const cb = breaker({ failureThreshold: 1, openTimeout: 20_000 });
  await cb.fire(() => Promise.reject(new Error('down'))).catch(() => undefined);
  expect(await cb.state()).toBe('OPEN');
  return cb;
}

/** An SQS client that cannot reach SQS. */
function unreachableSqs() {
  return new SQSClient({ endpoint: NOWHERE, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}

function record(messageId) {
  return { messageId, receiptHandle: `handle-${messageId}`, body: '{}', attributes: {}, eventSourceARN: QUEUE_ARN };
}

describe('BatchDeferral, from plain JavaScript', () => {
  test('"a breaker with a fallback is not accepted": the constructor throws and names the fallback', () => {
    // GIVEN a breaker with a fallback, which answers every refused call instead of throwing
    const withFallback = new CircuitBreaker({ circuitId: 'payments', tableName: TABLE, fallback: () => ({ status: 'DEFERRED' }) });
    // WHEN / THEN
    expect(() => new BatchDeferral(withFallback)).toThrow(
      'breaker must be a CircuitBreaker without a fallback, got one with a fallback (circuit "payments"): a breaker with a fallback never refuses a call');
  });

  test('a breaker without a fallback is accepted', () => {
    // GIVEN / WHEN
    const plain = new CircuitBreaker({ circuitId: 'payments', tableName: TABLE });
    // THEN
    expect(new BatchDeferral(plain).breaker).toBe(plain);
  });

  test('with the fallback, refused records would be deleted: this is what the refusal prevents', async () => {
    // GIVEN an open circuit, and a breaker of the same circuit with a fallback
    const open = await openBreaker();
    const withFallback = new CircuitBreaker({ tableName: TABLE, circuitId: open.circuitId, client: db.client(), fallback: () => 'cached' });
    // WHEN a refused call goes through the breaker with the fallback
    const answer = await withFallback.fire(() => 'charged');
    // THEN it resolves, as a processed record would: nothing tells a batch to keep the record
    expect(answer).toBe('cached');
    expect(() => new BatchDeferral(withFallback)).toThrow(/without a fallback/);
  });

  test.each([
    [undefined, 'undefined'],
    [{ circuitId: 'payments' }, 'an object'],
    ['payments', '"payments"'],
  ])('"breaker must be a CircuitBreaker": %p is refused', (breakerArgument, shown) => {
    // GIVEN / WHEN / THEN
    expect(() => new BatchDeferral(breakerArgument)).toThrow(`breaker must be a CircuitBreaker of cdk-resilience/runtime (new BatchDeferral(new CircuitBreaker({ circuitId })), got ${shown}`);
  });

  test.each([
    [{ maxDelay: '60000' }, /maxDelay must be between 1,000 and 43,200,000 ms \(12 hours\), got 60000/],
    [{ minDelay: 5_000, maxDelay: 4_000 }, /minDelay must be between 0 and maxDelay \(4,000 ms\), got 5000/],
    [{ jitter: -1 }, /jitter must be between 0 and 43,200,000 ms \(12 hours\), got -1/],
    [{ halfOpenDelay: null }, /halfOpenDelay must be between 0 and 43,200,000 ms \(12 hours\), got null/],
    [{ client: {} }, /client must be an SQSClient of the AWS SDK v3 \(an object with send\(\)\), got an object without send\(\)/],
    [{ logger: console.log }, /logger must be a logger \(an object with info\(\), warn\(\), error\(\)\), got a function/],
    ['fast', /options must be an object, got "fast"/],
  ])('"Valid range" of each option: %p is refused', (options, message) => {
    // GIVEN / WHEN / THEN
    expect(() => new BatchDeferral(breaker(), options)).toThrow(message);
  });

  test('process() refuses a handler that is not a function, before any record is handled or counted', async () => {
    // GIVEN a closed circuit
    const cb = breaker({ failureThreshold: 1 });
    const deferral = new BatchDeferral(cb, { client: unreachableSqs() });
    // WHEN / THEN the invocation fails (Lambda keeps the whole batch), and the circuit stays closed
    await expect(deferral.process({ Records: [record('m1')] }, 'charge')).rejects.toThrow('handler must be a function, got "charge"');
    expect(await cb.state()).toBe('CLOSED');
  });

  test('process() refuses an event that is not an SQS event, rather than answer that nothing failed', async () => {
    // GIVEN
    const deferral = new BatchDeferral(breaker(), { client: unreachableSqs() });
    // WHEN / THEN
    await expect(deferral.process({ records: [record('m1')] }, () => undefined)).rejects.toThrow('event must be an SQS event with a Records array, got an object whose Records is undefined');
    await expect(deferral.process(undefined, () => undefined)).rejects.toThrow('event must be an SQS event with a Records array, got undefined');
  });

  test('recordHandler() refuses a handler that is not a function', () => {
    // GIVEN / WHEN / THEN
    expect(() => new BatchDeferral(breaker()).recordHandler(undefined)).toThrow('handler must be a function, got undefined');
  });

  test('defer() needs the refusal that says until when', async () => {
    // GIVEN / WHEN / THEN
    const deferral = new BatchDeferral(breaker(), { client: unreachableSqs() });
    await expect(deferral.defer([record('m1')], new Error('down'))).rejects.toThrow(/error must be the CircuitOpenError that refused the records .*, got an object \(Error\)/);
    await expect(deferral.defer(record('m1'), new CircuitOpenError('payments', 'OPEN'))).rejects.toThrow('records must be an array of SQS records, got an object');
  });

  test('"never lost": when SQS cannot be reached, every refused record is still reported, with the reason', async () => {
    // GIVEN an open circuit and an SQS nobody can reach
    const cb = await openBreaker();
    const deferral = new BatchDeferral(cb, { client: unreachableSqs(), minDelay: 0 });
    // WHEN
    const response = await deferral.process({ Records: [record('m1'), record('m2')] }, () => 'charged');
    // THEN both are kept, and the error line names the network error
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }] });
    const logged = console.error.mock.calls.map(([line]) => JSON.parse(line));
    expect(logged[0].failed).toEqual([
      { messageId: 'm1', reason: expect.stringMatching(/ECONNREFUSED/), message: expect.stringMatching(/ECONNREFUSED/) },
      { messageId: 'm2', reason: expect.stringMatching(/ECONNREFUSED/), message: expect.stringMatching(/ECONNREFUSED/) },
    ]);
  });
});

describe('CircuitBreaker, from plain JavaScript', () => {
  test.each([
    [{ circuitId: '' }, /circuitId must be a non-empty string \(default: AWS_LAMBDA_FUNCTION_NAME\), got ""/],
    [{ tableName: 42 }, /tableName must be a non-empty string, got 42/],
    [{ failureThreshold: '5' }, /failureThreshold must be an integer of at least 1, got 5/],
    [{ successThreshold: 1.5 }, /successThreshold must be an integer of at least 1, got 1.5/],
    [{ openTimeout: '10s' }, /openTimeout must be a positive number of milliseconds, got 10s/],
    [{ openTimeout: 20_000, maxOpenTimeout: 10_000 }, /maxOpenTimeout must be at least openTimeout \(20000 ms\), got 10000 ms/],
    [{ stateCacheTtl: -1 }, /stateCacheTtl must be zero or a positive number of milliseconds, got -1/],
    [{ failOpen: 'false' }, /failOpen must be true or false, got "false"/],
    [{ fallback: 'cached' }, /fallback must be a function, got "cached"/],
    [{ isFailure: true }, /isFailure must be a function, got true/],
    [{ client: { endpoint: NOWHERE } }, /client must be a DynamoDBClient of the AWS SDK v3 \(an object with send\(\)\), got an object without send\(\)/],
    [{ logger: { log: () => undefined } }, /logger must be a logger \(an object with info\(\), warn\(\), error\(\)\), got an object without info\(\), warn\(\), error\(\)/],
  ])('"Valid range" of each option: %p is refused', (options, message) => {
    // GIVEN / WHEN / THEN
    expect(() => new CircuitBreaker({ circuitId: 'payments', tableName: TABLE, ...options })).toThrow(message);
  });

  test('the table must be named, by the option or by CIRCUIT_BREAKER_TABLE', () => {
    // GIVEN no table name anywhere
    const saved = process.env.CIRCUIT_BREAKER_TABLE;
    delete process.env.CIRCUIT_BREAKER_TABLE;
    try {
      // WHEN / THEN
      expect(() => new CircuitBreaker({ circuitId: 'payments' })).toThrow(/tableName must be given or CIRCUIT_BREAKER_TABLE set/);
    } finally {
      if (saved !== undefined) process.env.CIRCUIT_BREAKER_TABLE = saved;
    }
  });

  test('fire() refuses an operation that is not a function, and does not count it as a failure', async () => {
    // GIVEN a circuit that one failure would open
    const cb = breaker({ failureThreshold: 1 });
    // WHEN / THEN
    await expect(cb.fire(undefined)).rejects.toThrow('operation must be a function, got undefined');
    expect(await cb.state()).toBe('CLOSED');
  });

  test('"never throws DynamoDB\'s error to the caller": it fails open, or refuses with CircuitOpenError', async () => {
    // GIVEN breakers whose DynamoDB cannot be reached
    const client = testing.localCircuitBreakerClient(NOWHERE);
    const open = new CircuitBreaker({ circuitId: circuitId(), tableName: TABLE, client });
    const closed = new CircuitBreaker({ circuitId: circuitId(), tableName: TABLE, client, failOpen: false });
    // WHEN / THEN
    await expect(open.fire(() => 'charged')).resolves.toBe('charged');
    const refusal = await closed.fire(() => 'charged').catch(error => error);
    expect(refusal).toBeInstanceOf(CircuitOpenError);
    expect(refusal.retryAfter).toBeUndefined();
  });

  test('"CircuitOpenError when the circuit refuses the call and there is no fallback"; retryAfter is a Date', async () => {
    // GIVEN
    const cb = await openBreaker();
    // WHEN
    const refusal = await cb.fire(() => 'charged').catch(error => error);
    // THEN
    expect(refusal).toBeInstanceOf(CircuitOpenError);
    expect(refusal.retryAfter).toBeInstanceOf(Date);
  });
});

describe('injectFailure, from plain JavaScript', () => {
  test.each([
    [undefined, {}, 'handler must be a function, got undefined'],
    [async () => 'ok', { dryRun: 'yes' }, 'dryRun must be true or false, got "yes"'],
    [async () => 'ok', { port: '2772' }, 'port must be an integer between 1 and 65,535, got "2772"'],
    [async () => 'ok', { maxAge: -1 }, 'maxAge must be a number between 0 and 9,007,199,254,740,991 ms, got -1'],
    [async () => 'ok', { timeout: 0 }, 'timeout must be a number between 1 and 2,147,483,647 ms, got 0'],
    [async () => 'ok', { random: 0.5 }, 'random must be a function, got 0.5'],
    [async () => 'ok', { tmpDir: '' }, 'tmpDir must be a non-empty string, got ""'],
  ])('what the code passes is refused when the handler is wrapped: %p %p', (handler, options, message) => {
    // GIVEN / WHEN / THEN
    expect(() => injectFailure(handler, options)).toThrow(message);
  });

  test('"it fails safe": an invalid experiment injects nothing, and the handler runs untouched', async () => {
    // GIVEN an experiment whose latency flag has no maxLatency and whose statuscode flag is valid
    const route = '/applications/shop-chaos/environments/chaos/configurations/failure-injection';
    extension.serve(route, { ...testing.ALL_FAILURE_FLAGS_OFF, latency: { enabled: true, minLatency: 100 }, statuscode: { enabled: true, statusCode: 503 } });
    const handler = injectFailure(async () => ({ statusCode: 200 }), { path: route, port: extension.port, host: '127.0.0.1', timeout: 10_000 });
    // WHEN / THEN not even the valid mode is injected
    await expect(handler({}, {})).resolves.toEqual({ statusCode: 200 });
    expect(console.warn).toHaveBeenCalledTimes(1);
  });

  test('"the flag is off: its failure is never injected"', async () => {
    // GIVEN every flag off
    const route = '/applications/shop-chaos/environments/chaos/configurations/off';
    extension.serve(route, testing.ALL_FAILURE_FLAGS_OFF);
    const handler = injectFailure(async () => 'handled', { path: route, port: extension.port, host: '127.0.0.1', timeout: 10_000 });
    // WHEN / THEN
    await expect(handler({}, {})).resolves.toBe('handled');
    expect(extension.count(route)).toBe(1);
  });
});

describe('getConfiguration, from plain JavaScript', () => {
  test('it needs a path: the error names APPCONFIG_CONFIGURATION_PATH', async () => {
    // GIVEN no path
    const saved = process.env.APPCONFIG_CONFIGURATION_PATH;
    delete process.env.APPCONFIG_CONFIGURATION_PATH;
    try {
      // WHEN / THEN
      await expect(getConfiguration({ port: extension.port })).rejects.toThrow(/getConfiguration needs options.path or APPCONFIG_CONFIGURATION_PATH/);
    } finally {
      if (saved !== undefined) process.env.APPCONFIG_CONFIGURATION_PATH = saved;
    }
  });

  test.each([
    [{ path: '/a', port: 70_000 }, 'port must be an integer between 1 and 65,535, got 70000'],
    [{ path: '/a', host: 7 }, 'host must be a non-empty string, got 7'],
    [{ path: '/a', timeout: '1000' }, 'timeout must be a number between 1 and 2,147,483,647 ms, got "1000"'],
    ['/a', 'options must be an object, got "/a"'],
  ])('options of the wrong type or range are refused: %p', async (options, message) => {
    // GIVEN / WHEN / THEN
    await expect(getConfiguration(options)).rejects.toThrow(message);
  });

  test('an extension that cannot be reached throws ExtensionUnreachableError, which says how to run locally', async () => {
    // GIVEN / WHEN
    const error = await getConfiguration({ path: '/applications/a/environments/e/configurations/p', port: 1, host: '127.0.0.1' }).catch(e => e);
    // THEN
    expect(error).toBeInstanceOf(runtime.ExtensionUnreachableError);
    expect(error.message).toMatch(/startLocalAppConfigExtension\(\) of cdk-resilience\/testing/);
  });
});

describe('withDeadline() and applyDeadline(), from plain JavaScript', () => {
  const { applyDeadline, deadlineRetryStrategy, withDeadline } = runtime;
  const context = { getRemainingTimeInMillis: () => 3_000 };

  test.each([
    [undefined, 'context must be the Lambda context (an object with getRemainingTimeInMillis()), got undefined'],
    [{ awsRequestId: 'r-1' }, 'context must be the Lambda context (an object with getRemainingTimeInMillis()), got an object'],
    [{ getRemainingTimeInMillis: 3_000 }, 'context must be the Lambda context (an object with getRemainingTimeInMillis()), got an object'],
    [{ getRemainingTimeInMillis: () => '3000' }, 'context.getRemainingTimeInMillis() must return zero or a positive number of ms, got "3000"'],
    [{ getRemainingTimeInMillis: () => NaN }, 'context.getRemainingTimeInMillis() must return zero or a positive number of ms, got NaN'],
  ])('"@throws Error when context has no getRemainingTimeInMillis() or it returns no number of ms": %p is refused', (given, message) => {
    // GIVEN / WHEN / THEN
    expect(() => withDeadline(given)).toThrow(message);
  });

  test.each([
    [{ margin: '500' }, 'margin must be a number between 0 and 900,000 ms, got "500"'],
    [{ margin: -1 }, 'margin must be a number between 0 and 900,000 ms, got -1'],
    [{ margin: 1_000_000 }, 'margin must be a number between 0 and 900,000 ms, got 1000000'],
    ['500', 'options must be an object, got "500"'],
  ])('"margin: Valid range 0 - 900,000": %p is refused', (options, message) => {
    // GIVEN / WHEN / THEN
    expect(() => withDeadline(context, options)).toThrow(message);
  });

  test('run() refuses an operation that is not a function', () => {
    // GIVEN / WHEN / THEN
    expect(() => withDeadline(context).run('charge')).toThrow('operation must be a function, got "charge"');
  });

  test.each([
    [undefined, 'client must be an AWS SDK for JavaScript v3 client (an object with send() and config.requestHandler), got undefined'],
    [{ send: () => undefined }, 'client must be an AWS SDK for JavaScript v3 client (an object with send() and config.requestHandler), got an object without config.requestHandler.handle()'],
    ['sqs', 'client must be an AWS SDK for JavaScript v3 client (an object with send() and config.requestHandler), got "sqs"'],
  ])('"@throws Error when client is not an AWS SDK v3 client": %p is refused', (client, message) => {
    // GIVEN / WHEN / THEN
    expect(() => applyDeadline(client)).toThrow(message);
  });

  test.each([
    [{ maxAttempts: 0 }, 'maxAttempts must be an integer between 1 and 100, got 0'],
    [{ maxAttempts: 2.5 }, 'maxAttempts must be an integer between 1 and 100, got 2.5'],
    [{ maxAttempts: '3' }, 'maxAttempts must be an integer between 1 and 100, got "3"'],
    [{ baseDelay: '100' }, 'baseDelay must be a number between 0 and 900,000 ms, got "100"'],
    [{ maxDelay: -1 }, 'maxDelay must be a number between 0 and 900,000 ms, got -1'],
    [{ random: 0.5 }, 'random must be a function, got 0.5'],
    [null, 'options must be an object, got null'],
  ])('"Valid range" of each retry option: %p is refused, by applyDeadline() and deadlineRetryStrategy()', (options, message) => {
    // GIVEN an AWS SDK v3 client
    const client = unreachableSqs();
    // WHEN / THEN both refuse, and the client is left as it was
    const handler = client.config.requestHandler;
    expect(() => applyDeadline(client, options)).toThrow(message);
    expect(() => deadlineRetryStrategy(options)).toThrow(message);
    expect(client.config.requestHandler).toBe(handler);
  });

  test('an AWS SDK v3 client is accepted, and returned', () => {
    // GIVEN / WHEN
    const client = unreachableSqs();
    // THEN
    expect(applyDeadline(client, { maxAttempts: 2 })).toBe(client);
  });
});

describe('cdk-resilience/testing, from plain JavaScript', () => {
  test.each([
    ['applications/a', {}, 'route must be a path that starts with / (/applications/{app}/environments/{env}/configurations/{profile}), got "applications/a"'],
    ['/a', undefined, 'document must be a value with a JSON form (an object, an array, a string, a number, true, false or null), got undefined'],
  ])('serve() refuses %p %p', (route, document, message) => {
    // GIVEN / WHEN / THEN
    expect(() => extension.serve(route, document)).toThrow(message);
  });

  test.each([
    [{ status: 99, body: '' }, 'answer.status must be an integer between 100 and 599, got 99'],
    [{ body: { a: 1 } }, 'answer.body must be a string (the body as sent), got an object'],
    [{ body: '', delay: -5 }, 'answer.delay must be a number between 0 and 600,000 ms, got -5'],
  ])('answer() refuses %p', (answer, message) => {
    // GIVEN / WHEN / THEN
    expect(() => extension.answer('/a', answer)).toThrow(message);
  });

  test('"a route nothing is served at answers 404, as the extension does"', async () => {
    // GIVEN / WHEN
    const response = await fetch(`http://127.0.0.1:${extension.port}/applications/a/environments/e/configurations/none`);
    // THEN
    expect(response.status).toBe(404);
  });

  test('localCircuitBreakerClient() needs the URL of a local DynamoDB', () => {
    // GIVEN / WHEN / THEN
    expect(() => testing.localCircuitBreakerClient('127.0.0.1:8000')).toThrow('endpoint must be the http or https URL of a local DynamoDB (e.g. http://127.0.0.1:8000), got "127.0.0.1:8000"');
  });
});
