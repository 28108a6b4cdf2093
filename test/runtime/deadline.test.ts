/**
 * Tests of the deadline of `cdk-resilience/runtime/deadline` against real
 * servers on 127.0.0.1: one that never answers (`startHangingServer()`), one
 * that fails every request at once. The invocation's remaining time is
 * simulated with seconds, not milliseconds, and every bound leaves a second
 * or more to a loaded machine; lower bounds (a call is not stopped before its
 * deadline) hold on any machine.
 */
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  applyDeadline, currentDeadline, Deadline, DEADLINE_DEFAULTS, DeadlineExceededError, deadlineRetryStrategy, withDeadline,
} from '../../src/runtime/deadline';
import { HangingServer, startHangingServer } from '../../src/testing';

/** What a timer may fire early by (Node rounds to the millisecond). */
const TIMER_SLACK = 5;

let hanging: HangingServer;
let failing: FailingServer;
const clients: SQSClient[] = [];

beforeAll(async () => {
  hanging = await startHangingServer();
  failing = await startFailingServer();
});

afterAll(async () => {
  clients.forEach(c => c.destroy());
  await hanging.stop();
  await failing.stop();
});

/** A Lambda context whose invocation ends `ms` from now, as Lambda's counts down. */
function contextEndingIn(ms: number) {
  const end = performance.now() + ms;
  return { getRemainingTimeInMillis: () => Math.max(0, Math.round(end - performance.now())) };
}

/** An SQS client of the AWS SDK v3 with its defaults (no request timeout), sending to `endpoint`. */
function sqsClient(endpoint: string, config: SQSClientConfig = {}): SQSClient {
  const client = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, ...config });
  clients.push(client);
  return client;
}

const send = (client: SQSClient) => client.send(new SendMessageCommand({ QueueUrl: `${client.config.endpoint}/000000000000/orders`, MessageBody: '{}' }));

/** A server that answers every request at once with `status` and an SQS error, and remembers when each arrived. */
interface FailingServer {
  readonly url: string;
  status: number;
  readonly arrivals: number[];
  stop(): Promise<void>;
}

async function startFailingServer(): Promise<FailingServer> {
  const state = { status: 500, arrivals: [] as number[] };
  const server: Server = createServer((request, response) => {
    state.arrivals.push(performance.now());
    request.resume();
    request.on('end', () => {
      const type = state.status >= 500 ? 'InternalError' : 'InvalidParameterValue';
      response.writeHead(state.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `${type};Sender` });
      response.end(JSON.stringify({ __type: `com.amazonaws.sqs#${type}`, message: 'failed on purpose' }));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get status() { return state.status; },
    set status(value: number) { state.status = value; },
    get arrivals() { return state.arrivals; },
    stop: () => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

beforeEach(() => {
  failing.status = 500;
  failing.arrivals.length = 0;
});

describe('withDeadline', () => {
  test('defaults: the deadline keeps 10% of the remaining time, at least 500 ms', () => {
    // GIVEN invocations with 20 s and 3 s left
    // WHEN their deadlines are created without options
    const long = withDeadline(contextEndingIn(20_000));
    const short = withDeadline(contextEndingIn(3_000));
    // THEN 10% of 20 s is kept; 10% of 3 s is below the least margin, which is kept instead
    expect(DEADLINE_DEFAULTS).toEqual({ marginRatio: 0.1, minMargin: 500, maxAttempts: 3, baseDelay: 100, maxDelay: 20_000 });
    expect(long.margin).toBeCloseTo(2_000, -1);
    expect(short.margin).toBe(500);
    expect(long.remaining()).toBeLessThanOrEqual(18_000);
    expect(long.remaining()).toBeGreaterThan(17_000);
    expect(short.remaining()).toBeLessThanOrEqual(2_500);
    expect(short.expired).toBe(false);
    expect(short.signal.aborted).toBe(false);
  });

  test('the signal aborts at the deadline, not before, with a DeadlineExceededError', async () => {
    // GIVEN 3 s left, of which 1 s is kept
    const started = performance.now();
    const deadline = withDeadline(contextEndingIn(3_000), { margin: 1_000 });
    // WHEN the signal aborts
    const reason = await new Promise<unknown>(resolve => deadline.signal.addEventListener('abort', () => resolve(deadline.signal.reason)));
    // THEN it was not before the deadline, and says why
    expect(performance.now() - started).toBeGreaterThanOrEqual(2_000 - TIMER_SLACK);
    expect(reason).toBeInstanceOf(DeadlineExceededError);
    expect((reason as DeadlineExceededError).message).toMatch(/the invocation's deadline passed: the call was stopped about 1000 ms before the function's timeout/);
    expect(deadline.expired).toBe(true);
    expect(deadline.remaining()).toBe(0);
  });

  test('a deadline that has already passed stops calls before they start', async () => {
    // GIVEN 300 ms left: less than the least margin
    const deadline = withDeadline(contextEndingIn(300));
    const client = applyDeadline(sqsClient(hanging.url));
    const before = hanging.requests.length;
    // WHEN the handler calls the downstream through fetch and the SDK
    // THEN both are refused at once, and nothing reaches the downstream
    expect(deadline.expired).toBe(true);
    await expect(deadline.fetch(hanging.url)).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(deadline.run(() => send(client))).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(hanging.requests.length).toBe(before);
  });

  test('run() makes it the current deadline of everything the operation awaits, and only there', async () => {
    // GIVEN a deadline
    const deadline = withDeadline(contextEndingIn(10_000));
    // WHEN code deep in the operation, after awaits and timers, asks for the current deadline
    const seen = await deadline.run(async (given) => {
      await new Promise(resolve => setTimeout(resolve, 10));
      const inner = await Promise.resolve().then(() => currentDeadline());
      return { given, inner };
    });
    // THEN it is this deadline; outside run() there is none
    expect(seen.given).toBe(deadline);
    expect(seen.inner).toBe(deadline);
    expect(currentDeadline()).toBeUndefined();
  });
});

describe('Deadline.fetch', () => {
  test('a downstream that never answers is aborted at the deadline: the request is closed', async () => {
    // GIVEN 3 s left, 1 s kept, and a downstream that never answers
    const deadline = withDeadline(contextEndingIn(3_000), { margin: 1_000 });
    const started = performance.now();
    const before = hanging.requests.length;
    // WHEN the handler fetches from it
    const error = await deadline.fetch(`${hanging.url}/charges`, { method: 'POST', body: '{}' }).catch(e => e);
    // THEN the call fails with DeadlineExceededError at the deadline (not before), and its connection is closed
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(2_000 - TIMER_SLACK);
    const request = hanging.requests[before];
    expect(request).toMatchObject({ method: 'POST', path: '/charges' });
    await until(() => request.closedAt !== undefined);
  });

  test('a signal of the caller still aborts the call, with its own reason', async () => {
    // GIVEN a deadline far away, and the caller's own signal
    const deadline = withDeadline(contextEndingIn(60_000));
    const own = new AbortController();
    // WHEN the caller aborts first
    const call = deadline.fetch(hanging.url, { signal: own.signal });
    own.abort(new Error('the caller gave up'));
    // THEN the call fails with the caller's reason
    await expect(call).rejects.toThrow('the caller gave up');
  });
});

describe('applyDeadline', () => {
  test('an AWS SDK v3 client calling a downstream that never answers is aborted at the deadline', async () => {
    // GIVEN an SQS client (no request timeout, the AWS SDK's default) bound to the deadline, 3 s left, 1 s kept
    const client = applyDeadline(sqsClient(hanging.url));
    const before = hanging.requests.length;
    const started = performance.now();
    // WHEN the handler sends a message to an SQS that never answers
    const error = await withDeadline(contextEndingIn(3_000), { margin: 1_000 }).run(() => send(client)).catch(e => e);
    // THEN the call fails with DeadlineExceededError at the deadline, not before; no retry was started after it;
    // and the request's connection is closed, not left hanging
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(2_000 - TIMER_SLACK);
    const sent = hanging.requests.slice(before).filter(r => r.method === 'POST' && r.path === '/');
    expect(sent).toHaveLength(1);
    await until(() => sent[0].closedAt !== undefined);
  });

  test('a DynamoDBDocumentClient is bound through its DynamoDBClient, or itself', async () => {
    // GIVEN document clients of DynamoDB clients that send to a DynamoDB that never answers: one bound through
    // its DynamoDBClient, one bound itself
    const viaBase = new DynamoDBClient({ endpoint: hanging.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const itself = new DynamoDBClient({ endpoint: hanging.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const documents = [DynamoDBDocumentClient.from(applyDeadline(viaBase)), applyDeadline(DynamoDBDocumentClient.from(itself))];
    // WHEN each reads an item, with 2 s left and 1 s kept
    const errors = await Promise.all(documents.map(client =>
      withDeadline(contextEndingIn(2_000), { margin: 1_000 }).run(() => client.send(new GetCommand({ TableName: 'orders', Key: { id: 'o-1' } }))).catch(e => e)));
    // THEN both stop at the deadline
    expect(errors.map(e => e.name)).toEqual(['DeadlineExceededError', 'DeadlineExceededError']);
    viaBase.destroy();
    itself.destroy();
  });

  test('retries use full jitter bounded by the cap: each sleep is random × min(cap, base × 2^retry)', async () => {
    // GIVEN a downstream that fails every request at once, and a client with 5 attempts, base 100 ms, cap 250 ms,
    // whose random draws 0.5 then 0.999
    const draws = [0.5, 0.999, 0.5, 0.999];
    const client = applyDeadline(sqsClient(failing.url), { maxAttempts: 5, baseDelay: 100, maxDelay: 250, random: () => draws.shift()! });
    // WHEN the handler sends, with a minute left
    const error = await withDeadline(contextEndingIn(60_000)).run(() => send(client)).catch(e => e);
    // THEN 5 attempts were made, and the sleeps were 0.5 × 100, 0.999 × 200, 0.5 × 250 (capped), 0.999 × 250 (capped)
    expect(error.name).toBe('InternalError');
    expect(error.$metadata.attempts).toBe(5);
    expect(error.$metadata.totalRetryDelay).toBeCloseTo(50 + 199.8 + 125 + 249.75, 6);
    expect(failing.arrivals).toHaveLength(5);
    // and no retry came sooner than its sleep
    const gaps = failing.arrivals.slice(1).map((at, i) => at - failing.arrivals[i]);
    [50, 199.8, 125, 249.75].forEach((sleep, i) => expect(gaps[i]).toBeGreaterThanOrEqual(sleep - TIMER_SLACK));
  });

  test('no attempt starts that could not end before the deadline: the error comes at once, not at the deadline', async () => {
    // GIVEN a downstream that fails at once, 6 s left with 500 ms kept (the deadline at 5.5 s), and sleeps of
    // 0.999 × 500 × 2^retry: about 0.5, 1 and 2 s (the third retry starts at about 3.5 s); the fourth retry would start at about 7.5 s
    const client = applyDeadline(sqsClient(failing.url), { maxAttempts: 10, baseDelay: 500, maxDelay: 60_000, random: () => 0.999 });
    const started = performance.now();
    // WHEN the handler sends
    const error = await withDeadline(contextEndingIn(6_000), { margin: 500 }).run(() => send(client)).catch(e => e);
    const elapsed = performance.now() - started;
    // THEN four attempts were made, all before the deadline; the fifth, which could not end before it, was not
    // started, and the downstream's error was thrown then, well before the deadline
    expect(error.name).toBe('InternalError');
    expect(error.$metadata.attempts).toBe(4);
    expect(failing.arrivals).toHaveLength(4);
    expect(failing.arrivals.every(at => at - started < 5_500)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(499.5 + 999 + 1_998 - TIMER_SLACK);
    expect(elapsed).toBeLessThan(5_500);
  });

  test('errors the AWS SDK classes as client errors are not retried', async () => {
    // GIVEN a downstream that refuses the request (400)
    failing.status = 400;
    const client = applyDeadline(sqsClient(failing.url));
    // WHEN the handler sends
    const error = await withDeadline(contextEndingIn(60_000)).run(() => send(client)).catch(e => e);
    // THEN one attempt only
    expect(error.name).toBe('InvalidParameterValue');
    expect(failing.arrivals).toHaveLength(1);
  });

  test('outside run() there is no deadline: the call retries maxAttempts times', async () => {
    // GIVEN a client bound to deadlines, used where no deadline runs (the init phase, a script)
    const client = applyDeadline(sqsClient(failing.url), { maxAttempts: 2, baseDelay: 0 });
    // WHEN it sends
    const error = await send(client).catch(e => e);
    // THEN it retries as configured, and the error is the downstream's
    expect(error.name).toBe('InternalError');
    expect(failing.arrivals).toHaveLength(2);
  });

  test('a client applied twice is bound once, and the SDK retry strategy can be given to a client directly', async () => {
    // GIVEN a client applied twice, and a client given the strategy in its configuration
    const twice = applyDeadline(applyDeadline(sqsClient(hanging.url)));
    const configured = sqsClient(failing.url, { retryStrategy: deadlineRetryStrategy({ maxAttempts: 2, baseDelay: 0 }) });
    // WHEN each sends
    const started = performance.now();
    const first = await withDeadline(contextEndingIn(2_000), { margin: 1_000 }).run(() => send(twice)).catch(e => e);
    const second = await send(configured).catch(e => e);
    // THEN the first stops at its deadline with one error (not one wrapped in another); the second retried once
    expect(first).toBeInstanceOf(DeadlineExceededError);
    expect(first.cause).not.toBeInstanceOf(DeadlineExceededError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_000 - TIMER_SLACK);
    expect(second.$metadata.attempts).toBe(2);
  });
});

describe('deadlineRetryStrategy', () => {
  test('a Retry-After of the service is honoured, up to the cap', async () => {
    // GIVEN the strategy with a cap of 1 s
    const strategy = deadlineRetryStrategy({ maxDelay: 1_000, random: () => 0 });
    const token = await strategy.acquireInitialRetryToken('');
    // WHEN the service asks to be called again in 10 s, then in 300 ms
    const capped = await strategy.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING', retryAfterHint: new Date(Date.now() + 10_000) });
    const hinted = await strategy.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING', retryAfterHint: new Date(Date.now() + 300) });
    // THEN the sleeps are the cap, and about the hint
    expect(capped.getRetryDelay()).toBe(1_000);
    expect(hinted.getRetryDelay()).toBeGreaterThan(200);
    expect(hinted.getRetryDelay()).toBeLessThanOrEqual(300);
    expect(capped.getRetryCount()).toBe(1);
  });

  test('a deadline whose time is spent refuses a retry that a longer one allows', async () => {
    // GIVEN a sleep of 0.999 × 2 s before the first retry
    const strategy = deadlineRetryStrategy({ baseDelay: 2_000, random: () => 0.999 });
    // WHEN the first attempt fails under a deadline 1 s away, and under one a minute away
    const refresh = (deadline: Deadline) => deadline.run(async () =>
      strategy.refreshRetryTokenForRetry(await strategy.acquireInitialRetryToken(''), { errorType: 'TRANSIENT' }));
    // THEN the first refuses (the sleep alone outlasts the time left), the second retries after the sleep
    await expect(refresh(withDeadline(contextEndingIn(2_000), { margin: 1_000 }))).rejects.toThrow(/not retried: a retry after 1998 ms, .* would not end within the \d+ ms left before the deadline/);
    expect((await refresh(withDeadline(contextEndingIn(60_000)))).getRetryDelay()).toBeCloseTo(1_998, 6);
  });
});

/** Polls `condition`; throws after `timeout` ms of a loaded machine's time. */
async function until(condition: () => boolean, timeout = 30_000): Promise<void> {
  const end = performance.now() + timeout;
  while (!condition()) {
    if (performance.now() > end) throw new Error(`condition not met within ${timeout} ms`);
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}
