/**
 * Tests of the runtime `BatchDeferral` against real parts on 127.0.0.1: a
 * `CircuitBreaker` on dynalite (a DynamoDB-API server) and the local SQS of
 * cdk-resilience/testing (`startLocalSqs`), which speaks the AWS JSON protocol
 * of @aws-sdk/client-sqs v3 (sqslite, on npm, speaks only the query protocol).
 * Records are received from the stand-in as Lambda's poller receives them, so
 * their receipt handles are real. Durations are small and real.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LocalDynamoDb, startDynalite } from './dynalite';
import {
  BatchDeferral, BatchDeferralOptions, CircuitBreaker, CircuitBreakerOptions, CircuitOpenError, queueUrlFromArn,
} from '../../src/runtime';
import { completeBatch, LambdaSqsRecord, LocalSqs, receiveRecords, startLocalSqs } from '../../src/testing';

const TABLE = 'circuits';

let db: LocalDynamoDb;
let sqs: LocalSqs;
let client: SQSClient;
let log: jest.SpyInstance;
let warn: jest.SpyInstance;
let error: jest.SpyInstance;
let count = 0;

beforeAll(async () => {
  db = await startDynalite();
  await db.createCircuitTable(TABLE);
  sqs = await startLocalSqs();
  client = sqs.client();
});

afterAll(async () => {
  await sqs.stop();
  await db.stop();
});

beforeEach(() => {
  log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
  sqs.faults.clear();
});

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, Math.max(ms, 0)));
}

/** A name no other test uses. */
function unique(name: string): string {
  count += 1;
  return `${name}-${count}`;
}

/** A queue with `messages` in it (bodies `m0`, `m1`, ...; FIFO: `groups[i % groups.length]`), and its records as Lambda gets them. */
async function queueWithRecords(options: { messages: number; visibilityTimeout?: number; fifo?: boolean; groups?: string[] }):
Promise<{ name: string; records: LambdaSqsRecord[] }> {
  const name = unique('orders') + (options.fifo ? '.fifo' : '');
  await client.send(new CreateQueueCommand({
    QueueName: name,
    Attributes: { VisibilityTimeout: String(options.visibilityTimeout ?? 30), ...(options.fifo ? { FifoQueue: 'true' } : {}) },
  }));
  for (let i = 0; i < options.messages; i++) {
    await client.send(new SendMessageCommand({
      QueueUrl: sqs.queueUrl(name),
      MessageBody: `m${i}`,
      ...(options.fifo ? { MessageGroupId: options.groups![i % options.groups!.length], MessageDeduplicationId: `m${i}` } : {}),
    }));
  }
  const records = await receiveRecords(client, sqs, name, Math.min(options.messages, 10));
  expect(records).toHaveLength(options.messages);
  return { name, records };
}

/** A breaker on the shared dynalite table with its own client (its own Lambda environment). */
function breaker(options: Partial<CircuitBreakerOptions> = {}): CircuitBreaker {
  return new CircuitBreaker({ tableName: TABLE, circuitId: unique('payments'), client: db.client(), stateCacheTtl: 0, ...options });
}

/** A breaker whose circuit is OPEN for `openTimeout` ms from now (one failure opens it). */
async function openBreaker(openTimeout: number, options: Partial<CircuitBreakerOptions> = {}): Promise<CircuitBreaker> {
  const cb = breaker({ failureThreshold: 1, openTimeout, ...options });
  await cb.fire(() => Promise.reject(new Error('down'))).catch(() => undefined);
  expect(await cb.state()).toBe('OPEN');
  return cb;
}

function deferral(cb: CircuitBreaker, options: BatchDeferralOptions = {}): BatchDeferral {
  return new BatchDeferral(cb, { client, ...options });
}

/** The visibility timeouts (s) the deferral asked for, by message id, from the requests the server received after `since`. */
function visibilityRequests(since: number): Map<string, number> {
  const byHandle = new Map<string, number>();
  for (const request of sqs.requests.filter(r => r.time >= since && r.operation === 'ChangeMessageVisibilityBatch')) {
    for (const entry of request.input.Entries) byHandle.set(entry.ReceiptHandle, entry.VisibilityTimeout);
  }
  return byHandle;
}

/** When each message of the queue is visible again, in seconds from now (rounded down). */
function hiddenFor(queue: string): Map<string, number> {
  const now = Date.now();
  return new Map(sqs.messages(queue).map(m => [m.body, Math.floor((m.invisibleUntil - now) / 1000)]));
}

/** The JSON lines written to a console spy. */
function lines(spy: jest.SpyInstance): any[] {
  return spy.mock.calls.map(args => { try { return JSON.parse(String(args[0])); } catch { return undefined; } }).filter(Boolean);
}

describe('BatchDeferral', () => {
  test('a CLOSED circuit: processed records are not reported; failed ones are reported, not deferred', async () => {
    // GIVEN a closed circuit and a batch of three
    const { records } = await queueWithRecords({ messages: 3 });
    const since = Date.now();
    const handled: string[] = [];

    // WHEN the handler fails the second record
    const response = await deferral(breaker()).process({ Records: records }, async (record) => {
      handled.push(record.body);
      if (record.body === 'm1') throw new Error('bad record');
    });

    // THEN every record was handled, only the failed one is reported, and no visibility was changed
    expect(handled).toEqual(['m0', 'm1', 'm2']);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1].messageId }] });
    expect(visibilityRequests(since).size).toBe(0);
  });

  test('an OPEN circuit: the records are not handled, reported, and hidden until retryAfter plus at most the jitter', async () => {
    // GIVEN a circuit open for 20 s and a batch of 12 (two ChangeMessageVisibilityBatch requests)
    const cb = await openBreaker(20_000);
    const { name, records } = await queueWithRecords({ messages: 10, visibilityTimeout: 1 });
    const more = await queueWithRecords({ messages: 2, visibilityTimeout: 1 });
    const since = Date.now();
    const handler = jest.fn();

    // WHEN
    const response = await deferral(cb, { jitter: 5_000 }).process({ Records: [...records, ...more.records] }, handler);

    // THEN nothing was handled and every record is reported
    expect(handler).not.toHaveBeenCalled();
    expect(response.batchItemFailures.map(f => f.itemIdentifier)).toEqual([...records, ...more.records].map(r => r.messageId));
    // and each is hidden for the ~20 s left plus at most 5 s of jitter, as SQS confirms
    const asked = [...visibilityRequests(since).values()];
    expect(asked).toHaveLength(12);
    asked.forEach(seconds => expect(seconds).toBeGreaterThanOrEqual(19));
    asked.forEach(seconds => expect(seconds).toBeLessThanOrEqual(26));
    [...hiddenFor(name).values()].forEach(seconds => expect(seconds).toBeGreaterThanOrEqual(18));
    // and the deferrals are spread, not all the same
    expect(new Set(asked).size).toBeGreaterThan(1);
  });

  test('the default jitter spreads the records over the time left until retryAfter', async () => {
    // GIVEN a circuit open for 30 s
    const cb = await openBreaker(30_000);
    const { records } = await queueWithRecords({ messages: 10, visibilityTimeout: 1 });
    const since = Date.now();

    // WHEN
    await deferral(cb).process({ Records: records }, jest.fn());

    // THEN they come back between retryAfter and twice the time left
    const asked = [...visibilityRequests(since).values()];
    asked.forEach(seconds => expect(seconds).toBeGreaterThanOrEqual(29));
    asked.forEach(seconds => expect(seconds).toBeLessThanOrEqual(61));
    expect(Math.max(...asked) - Math.min(...asked)).toBeGreaterThan(2);
  });

  test('by default no deferral is shorter than the queue\'s visibility timeout, read once per queue', async () => {
    // GIVEN a circuit open for 2 s and a queue whose visibility timeout is 60 s
    const cb = await openBreaker(2_000);
    const { name, records } = await queueWithRecords({ messages: 4, visibilityTimeout: 60 });
    const since = Date.now();
    const d = deferral(cb);

    // WHEN two batches are deferred
    await d.process({ Records: records.slice(0, 2) }, jest.fn());
    await d.process({ Records: records.slice(2) }, jest.fn());

    // THEN each deferral lasts 60 s plus at most the jitter (the ~2 s left)
    const asked = [...visibilityRequests(since).values()];
    expect(asked).toHaveLength(4);
    asked.forEach(seconds => expect(seconds).toBeGreaterThanOrEqual(60));
    asked.forEach(seconds => expect(seconds).toBeLessThanOrEqual(63));
    // and the visibility timeout was read once
    const reads = sqs.requests.filter(r => r.time >= since && r.operation === 'GetQueueAttributes');
    expect(reads).toHaveLength(1);
    expect(reads[0].input).toEqual({ QueueUrl: sqs.queueUrl(name), AttributeNames: ['VisibilityTimeout'] });
  });

  test('when the visibility timeout cannot be read, deferrals have no floor, and one warning says so', async () => {
    // GIVEN GetQueueAttributes fails
    sqs.faults.set('GetQueueAttributes', 'request');
    const cb = await openBreaker(2_000);
    const { records } = await queueWithRecords({ messages: 2, visibilityTimeout: 60 });
    const since = Date.now();
    const d = deferral(cb);

    // WHEN two batches are deferred
    await d.process({ Records: [records[0]] }, jest.fn());
    await d.process({ Records: [records[1]] }, jest.fn());

    // THEN they are deferred to retryAfter (~2 s) plus at most the jitter (at least 1 s), not to 60 s
    [...visibilityRequests(since).values()].forEach(seconds => expect(seconds).toBeLessThanOrEqual(5));
    // and the read was tried once (not again within a minute), with one warning
    expect(sqs.requests.filter(r => r.time >= since && r.operation === 'GetQueueAttributes')).toHaveLength(1);
    const warnings = lines(warn);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'WARN', message: expect.stringMatching(/GetQueueAttributes failed \(InternalError\)/) });
  });

  test('HALF_OPEN (another environment probes): deferred by minDelay plus at most halfOpenDelay', async () => {
    // GIVEN a circuit whose open period is over and whose probe another environment holds
    const id = unique('payments');
    const a = await openBreaker(200, { circuitId: id });
    await sleep(250);
    let endProbe!: () => void;
    const probe = a.fire(() => new Promise<void>(resolve => { endProbe = resolve; }));
    await sleep(50);
    const b = breaker({ circuitId: id, failureThreshold: 1, openTimeout: 200 });
    expect(await b.state()).toBe('HALF_OPEN');
    const { records } = await queueWithRecords({ messages: 10, visibilityTimeout: 1 });
    const since = Date.now();

    // WHEN
    const response = await deferral(b, { minDelay: 2_000, halfOpenDelay: 4_000 }).process({ Records: records }, jest.fn());
    endProbe();
    await probe;

    // THEN every record is reported and deferred 2-6 s
    expect(response.batchItemFailures).toHaveLength(10);
    const asked = [...visibilityRequests(since).values()];
    expect(asked).toHaveLength(10);
    asked.forEach(seconds => expect(seconds).toBeGreaterThanOrEqual(2));
    asked.forEach(seconds => expect(seconds).toBeLessThanOrEqual(6));
  });

  test('a failure that opens the circuit is deferred with the records the circuit then refuses', async () => {
    // GIVEN a closed circuit that one failure opens for 20 s
    const cb = breaker({ failureThreshold: 1, openTimeout: 20_000 });
    const { records } = await queueWithRecords({ messages: 3, visibilityTimeout: 1 });
    const since = Date.now();
    const handler = jest.fn(async () => { throw new Error('down'); });

    // WHEN the first record fails
    const response = await deferral(cb).process({ Records: records }, handler);

    // THEN the handler ran once; all three are reported and deferred to the circuit's retryAfter
    expect(handler).toHaveBeenCalledTimes(1);
    expect(response.batchItemFailures).toHaveLength(3);
    const asked = [...visibilityRequests(since).values()];
    expect(asked).toHaveLength(3);
    asked.forEach(seconds => expect(seconds).toBeGreaterThanOrEqual(19));
  });

  test('a lone failure that opens the circuit is deferred too', async () => {
    // GIVEN a closed circuit that one failure opens for 20 s, and a batch of one
    const cb = breaker({ failureThreshold: 1, openTimeout: 20_000 });
    const { records } = await queueWithRecords({ messages: 1, visibilityTimeout: 1 });
    const since = Date.now();
    const handler = jest.fn(async () => { throw new Error('down'); });

    // WHEN it fails
    const response = await deferral(cb).process({ Records: records }, handler);

    // THEN it was handled once (the open circuit refused the second try), reported and deferred
    expect(handler).toHaveBeenCalledTimes(1);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0].messageId }]);
    expect([...visibilityRequests(since).values()][0]).toBeGreaterThanOrEqual(19);
  });

  test('a record refused by another breaker the handler uses is deferred as well', async () => {
    // GIVEN the deferral's breaker is closed, and the handler calls a second, open one
    const inner = await openBreaker(20_000);
    const { records } = await queueWithRecords({ messages: 2, visibilityTimeout: 1 });
    const since = Date.now();

    // WHEN
    const response = await deferral(breaker()).process({ Records: records }, (record) => inner.fire(async () => record.body));

    // THEN both are reported and deferred to the inner circuit's retryAfter
    expect(response.batchItemFailures).toHaveLength(2);
    [...visibilityRequests(since).values()].forEach(seconds => expect(seconds).toBeGreaterThanOrEqual(19));
  });

  test('a deferral is rounded up to whole seconds: a message never comes back before retryAfter', async () => {
    // GIVEN a refusal whose retryAfter is 10.001 s away, no jitter and no floor, on a clock that stands still
    const cb = breaker();
    const { records } = await queueWithRecords({ messages: 1 });
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now);
    const refusal = new CircuitOpenError(cb.circuitId, 'OPEN', new Date(now + 10_001));

    // WHEN
    const result = await deferral(cb, { minDelay: 0, jitter: 0 }).defer(records, refusal);

    // THEN it asks for 11 s: 10 s would bring the message back 999 ms before the probe is due
    expect(result.deferred).toEqual([{ messageId: records[0].messageId, visibilityTimeout: 11 }]);
  });

  test('a deferral never asks for more than maxDelay, which keeps it within SQS\'s 12 hours', async () => {
    // GIVEN a refusal whose retryAfter is 13 hours away
    const cb = breaker();
    const { name, records } = await queueWithRecords({ messages: 1 });
    const refusal = new CircuitOpenError(cb.circuitId, 'OPEN', new Date(Date.now() + 13 * 3_600_000));

    // WHEN
    const result = await deferral(cb).defer(records, refusal);

    // THEN it asked for 11 hours (the default maxDelay), which SQS accepted
    expect(result).toEqual({ deferred: [{ messageId: records[0].messageId, visibilityTimeout: 39_600 }], failed: [] });
    expect(hiddenFor(name).get('m0')).toBeGreaterThanOrEqual(39_598);
  });

  test('a deferral that SQS refuses is logged; the message is still reported and comes back after the visibility timeout', async () => {
    // GIVEN a maxDelay of 12 hours, which SQS refuses for a message received a moment ago, and a refusal 13 hours long
    const cb = await openBreaker(13 * 3_600_000);
    const { name, records } = await queueWithRecords({ messages: 1, visibilityTimeout: 1 });
    await sleep(1_100);
    const again = await receiveRecords(client, sqs, name);

    // WHEN
    const response = await deferral(cb, { maxDelay: 43_200_000 }).process({ Records: again }, jest.fn());

    // THEN the record is reported (Lambda keeps it)
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[0].messageId }] });
    // and one error line names it and SQS's reason
    const errors = lines(error);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      level: 'ERROR',
      message: expect.stringMatching(/visibility of 1 message\(s\) could not be changed; they come back after the queue's visibility timeout/),
      circuitId: cb.circuitId,
      state: 'OPEN',
      failed: [{ messageId: records[0].messageId, reason: 'InvalidParameterValue', message: expect.stringMatching(/beyond the limit \[43200 seconds\]/) }],
    });
    // and it comes back after the queue's visibility timeout (1 s), one receive more
    await sleep(1_100);
    const back = await receiveRecords(client, sqs, name);
    expect(back.map(r => [r.messageId, r.attributes.ApproximateReceiveCount])).toEqual([[records[0].messageId, '3']]);
  });

  test.each([
    ['request', 'InternalError'],
    ['entries', 'InternalError'],
  ] as const)('when SQS fails (%s), the records are reported, logged once, and come back after the visibility timeout', async (fault, reason) => {
    // GIVEN ChangeMessageVisibilityBatch fails
    sqs.faults.set('ChangeMessageVisibilityBatch', fault);
    const cb = await openBreaker(20_000);
    const { name, records } = await queueWithRecords({ messages: 3, visibilityTimeout: 1 });

    // WHEN
    const response = await deferral(cb).process({ Records: records }, jest.fn());

    // THEN all three are reported, and one line names them
    expect(response.batchItemFailures).toHaveLength(3);
    const errors = lines(error);
    expect(errors).toHaveLength(1);
    expect(errors[0].failed).toEqual(records.map(r => ({ messageId: r.messageId, reason, message: 'injected fault' })));
    // and the metric line counts them as failed deferrals
    expect(lines(log).filter(l => l._aws && 'MessagesDeferred' in l)).toEqual([expect.objectContaining({ CircuitId: cb.circuitId, MessagesDeferred: 0, DeferralsFailed: 3 })]);
    // and they come back after the queue's visibility timeout
    await sleep(1_100);
    expect(await receiveRecords(client, sqs, name)).toHaveLength(3);
  });

  test('when SQS cannot be reached, the reason names the network error and its code, not just "Error"', async () => {
    // GIVEN an SQS client whose endpoint refuses connections (a port nothing listens on)
    const closed = await startLocalSqs();
    await closed.stop();
    const unreachable = closed.client();
    const cb = await openBreaker(20_000);
    const { records } = await queueWithRecords({ messages: 2 });

    // WHEN
    const result = await new BatchDeferral(cb, { client: unreachable, minDelay: 0 }).defer(records, new CircuitOpenError(cb.circuitId, 'OPEN', new Date(Date.now() + 20_000)));

    // THEN each record says why: the error's name and code, and its message
    expect(result.deferred).toEqual([]);
    expect(result.failed).toEqual(records.map(r => ({
      messageId: r.messageId,
      reason: expect.stringMatching(/^\w*Error ECONNREFUSED$/),
      message: expect.stringMatching(/ECONNREFUSED/),
    })));
    unreachable.destroy();
  });

  test.each(['AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL'])('without a client, it sends to the endpoint %s configures, not to the queue URL\'s host', async (variable) => {
    // GIVEN the environment points the AWS SDK's SQS clients at the local SQS, and no client is given
    const saved = { ...process.env };
    Object.assign(process.env, { [variable]: sqs.endpoint, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'eu-west-1' });
    try {
      const cb = await openBreaker(20_000);
      const { name, records } = await queueWithRecords({ messages: 3, visibilityTimeout: 1 });
      const before = sqs.requests.length;

      // WHEN the records are deferred (the queue URL derived from their ARN names amazonaws.com)
      const result = await new BatchDeferral(cb).defer(records, new CircuitOpenError(cb.circuitId, 'OPEN', new Date(Date.now() + 20_000)));

      // THEN the local SQS got the requests (GetQueueAttributes, then the change), and the records are hidden there
      expect(result.failed).toEqual([]);
      expect(result.deferred).toHaveLength(3);
      expect(sqs.requests.slice(before).map(r => [r.operation, r.input.QueueUrl])).toEqual([
        ['GetQueueAttributes', `https://sqs.us-east-1.amazonaws.com/000000000000/${name}`],
        ['ChangeMessageVisibilityBatch', `https://sqs.us-east-1.amazonaws.com/000000000000/${name}`],
      ]);
      [...hiddenFor(name).values()].forEach(seconds => expect(seconds).toBeGreaterThanOrEqual(18));
    } finally {
      process.env = saved;
    }
  });

  test('a record whose ARN names no known partition is reported and logged, not lost', async () => {
    // GIVEN a record from an unknown partition
    const cb = await openBreaker(20_000);
    const { records } = await queueWithRecords({ messages: 1 });
    const record = { ...records[0], eventSourceARN: 'arn:aws-xx:sqs:xx-east-1:000000000000:orders' };

    // WHEN
    const response = await deferral(cb).process({ Records: [record] }, jest.fn());

    // THEN
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(lines(error)[0].failed).toEqual([{
      messageId: record.messageId,
      reason: 'InvalidEventSourceArn',
      message: 'eventSourceARN is not the ARN of an SQS queue of a known partition: "arn:aws-xx:sqs:xx-east-1:000000000000:orders"',
    }]);
  });

  test('one metric line per deferral: MessagesDeferred by circuit', async () => {
    // GIVEN
    const cb = await openBreaker(20_000);
    const { records } = await queueWithRecords({ messages: 4 });

    // WHEN
    await deferral(cb).process({ Records: records }, jest.fn());

    // THEN one embedded-metric-format line
    const emf = lines(log).filter(l => l._aws && 'MessagesDeferred' in l);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'CdkResilience/CircuitBreaker', Dimensions: [['CircuitId']], Metrics: [{ Name: 'MessagesDeferred', Unit: 'Count' }, { Name: 'DeferralsFailed', Unit: 'Count' }] }] },
      CircuitId: cb.circuitId,
      MessagesDeferred: 4,
      DeferralsFailed: 0,
      message: expect.stringMatching(/is OPEN: 4 message\(s\) deferred by \d+-\d+ s/),
    });
  });

  describe('FIFO queues', () => {
    test('after a refusal, no later record is handled: all are deferred, each message group with one delay, and come back in order', async () => {
      // GIVEN a FIFO batch of groups a, b, a, b, a, b; the third record's failure opens the circuit
      const cb = breaker({ failureThreshold: 1, openTimeout: 20_000 });
      const { name, records } = await queueWithRecords({ messages: 6, fifo: true, groups: ['a', 'b'], visibilityTimeout: 1 });
      const since = Date.now();
      const handled: string[] = [];

      // WHEN (and Lambda deletes what was not reported)
      const response = await deferral(cb, { maxDelay: 1_000 }).process({ Records: records }, async (record) => {
        handled.push(record.body);
        if (record.body === 'm2') throw new Error('down');
      });
      await completeBatch(client, sqs, name, records, Promise.resolve(response));

      // THEN the records up to the failure were handled, nothing after it
      expect(handled).toEqual(['m0', 'm1', 'm2']);
      // and the failed record and all that follow are reported and deferred
      expect(response.batchItemFailures.map(f => f.itemIdentifier)).toEqual(records.slice(2).map(r => r.messageId));
      const asked = visibilityRequests(since);
      expect(asked.size).toBe(4);
      // each group with one delay
      const delay = (r: LambdaSqsRecord) => asked.get(r.receiptHandle);
      expect(delay(records[2])).toBe(delay(records[4]));
      expect(delay(records[3])).toBe(delay(records[5]));
      // and, once the deferral is over, each group comes back in its order
      await sleep(1_100);
      const back = await receiveRecords(client, sqs, name);
      expect(back.map(r => r.body)).toEqual(['m2', 'm3', 'm4', 'm5']);
    });

    test('each message group gets its own delay, drawn once: groups do not come back together', async () => {
      // GIVEN a FIFO batch of groups a, b, c, a, b, c, a refusal 20 s away spread over 30 s, and random draws 0, 0.5, 0.99, ...
      const cb = breaker();
      const { records } = await queueWithRecords({ messages: 6, fifo: true, groups: ['a', 'b', 'c'], visibilityTimeout: 1 });
      const draws = [0, 0.5, 0.99, 0.25, 0.75, 0.1];
      jest.spyOn(Math, 'random').mockImplementation(() => draws.shift() ?? 0.6);
      const refusal = new CircuitOpenError(cb.circuitId, 'OPEN', new Date(Date.now() + 20_000));

      // WHEN
      const result = await deferral(cb, { minDelay: 0, jitter: 30_000 }).defer(records, refusal);

      // THEN the records of a group share one delay
      const delay = new Map(result.deferred.map(d => [d.messageId, d.visibilityTimeout]));
      const ofGroup = (group: string) => new Set(records.filter(r => r.attributes.MessageGroupId === group).map(r => delay.get(r.messageId)));
      expect([ofGroup('a').size, ofGroup('b').size, ofGroup('c').size]).toEqual([1, 1, 1]);
      // and the groups got the first three draws: about 20 + 0, 20 + 15 and 20 + 29.7 s
      const [a, b, c] = ['a', 'b', 'c'].map(group => [...ofGroup(group)][0]!);
      expect(a).toBeGreaterThanOrEqual(19);
      expect(a).toBeLessThanOrEqual(21);
      expect(b).toBeGreaterThanOrEqual(34);
      expect(b).toBeLessThanOrEqual(36);
      expect(c).toBeGreaterThanOrEqual(49);
      expect(c).toBeLessThanOrEqual(51);
    });

    test('after a failure while the circuit stays closed, the rest is reported, not handled, not deferred', async () => {
      // GIVEN a closed circuit that one failure does not open
      const { records } = await queueWithRecords({ messages: 4, fifo: true, groups: ['a'], visibilityTimeout: 1 });
      const since = Date.now();
      const handled: string[] = [];

      // WHEN the second record fails
      const response = await deferral(breaker({ failureThreshold: 5 })).process({ Records: records }, async (record) => {
        handled.push(record.body);
        if (record.body === 'm1') throw new Error('bad record');
      });

      // THEN
      expect(handled).toEqual(['m0', 'm1']);
      expect(response.batchItemFailures.map(f => f.itemIdentifier)).toEqual(records.slice(1).map(r => r.messageId));
      expect(visibilityRequests(since).size).toBe(0);
    });
  });

  describe('with Powertools batch processing', () => {
    test('recordHandler defers the records the circuit refuses; the processor reports them', async () => {
      // GIVEN a circuit open for 20 s, Powertools' BatchProcessor
      const cb = await openBreaker(20_000);
      const { records } = await queueWithRecords({ messages: 3, visibilityTimeout: 1 });
      const since = Date.now();
      const handler = jest.fn();
      const context = { functionName: 'consumer' };

      // WHEN
      const response = await processPartialResponse({ Records: records }, deferral(cb).recordHandler(handler),
        new BatchProcessor(EventType.SQS), { context: context as any, throwOnFullBatchFailure: false });

      // THEN
      expect(handler).not.toHaveBeenCalled();
      expect(response.batchItemFailures.map(f => f.itemIdentifier).sort()).toEqual(records.map(r => r.messageId).sort());
      const asked = [...visibilityRequests(since).values()];
      expect(asked).toHaveLength(3);
      asked.forEach(seconds => expect(seconds).toBeGreaterThanOrEqual(19));
    });

    test('recordHandler passes the processor\'s arguments through and returns the handler\'s result', async () => {
      // GIVEN a closed circuit
      const { records } = await queueWithRecords({ messages: 1 });
      const handler = jest.fn(async (record: LambdaSqsRecord, context: unknown) => `${record.body}:${(context as any).functionName}`);

      // WHEN
      const result = await deferral(breaker()).recordHandler(handler)(records[0], { functionName: 'consumer' });

      // THEN
      expect(result).toBe('m0:consumer');
    });

    test('recordHandler defers a failure that opens the circuit, and throws the refusal', async () => {
      // GIVEN a closed circuit that one failure opens
      const cb = breaker({ failureThreshold: 1, openTimeout: 20_000 });
      const { records } = await queueWithRecords({ messages: 1, visibilityTimeout: 1 });
      const since = Date.now();

      // WHEN
      const thrown = await deferral(cb).recordHandler(async () => { throw new Error('down'); })(records[0]).catch(e => e);

      // THEN
      expect(thrown).toBeInstanceOf(CircuitOpenError);
      expect([...visibilityRequests(since).values()][0]).toBeGreaterThanOrEqual(19);
    });
  });

  describe('options', () => {
    test.each([
      [{ maxDelay: 999 }, /maxDelay must be between 1,000 and 43,200,000 ms \(12 hours\), got 999/],
      [{ maxDelay: 43_200_001 }, /maxDelay must be between 1,000 and 43,200,000 ms \(12 hours\), got 43200001/],
      [{ minDelay: -1 }, /minDelay must be between 0 and maxDelay \(39,600,000 ms\), got -1/],
      [{ minDelay: 5_000, maxDelay: 4_000 }, /minDelay must be between 0 and maxDelay \(4,000 ms\), got 5000/],
      [{ jitter: -1 }, /jitter must be between 0 and 43,200,000 ms \(12 hours\), got -1/],
      [{ halfOpenDelay: Number.NaN }, /halfOpenDelay must be between 0 and 43,200,000 ms \(12 hours\), got NaN/],
      [{ halfOpenDelay: Number.POSITIVE_INFINITY }, /halfOpenDelay must be between 0 and 43,200,000 ms \(12 hours\), got Infinity/],
    ] as const)('fails if an option is out of range: %j', (options, message) => {
      // GIVEN / WHEN / THEN
      expect(() => new BatchDeferral(breaker(), options)).toThrow(message);
    });

    test('a breaker with a fallback is not accepted: it never refuses, so nothing would be deferred', () => {
      // GIVEN a breaker whose fallback answers refused calls
      const withFallback = new CircuitBreaker({ tableName: TABLE, circuitId: 'payments', fallback: () => 'cached' });
      // WHEN / THEN it does not compile, and, where no compiler checks it, the constructor throws
      // @ts-expect-error CircuitBreaker<string> is not a CircuitBreaker (whose fallback type is never)
      expect(() => new BatchDeferral(withFallback)).toThrow(
        /breaker must be a CircuitBreaker without a fallback, got one with a fallback \(circuit "payments"\): a breaker with a fallback never refuses/);
    });

    test('a fallback that rethrows compiles, and is refused all the same: the breaker cannot tell what it returns', () => {
      // GIVEN a fallback typed `never` (it throws): TypeScript accepts the breaker
      const rethrows = new CircuitBreaker({ tableName: TABLE, circuitId: 'payments', fallback: (refusal) => { throw refusal; } });
      // WHEN / THEN
      expect(() => new BatchDeferral(rethrows)).toThrow(/without a fallback/);
    });

    test('a breaker of another copy of the module (another bundle) is recognised by its shape, fallback included', () => {
      // GIVEN objects shaped like a CircuitBreaker, as a second bundled copy of the runtime makes them
      const shaped = { circuitId: 'payments', fire: async (op: () => unknown) => op(), state: async () => 'CLOSED' };
      // WHEN / THEN one without a fallback is accepted, one with is not
      expect(new BatchDeferral(shaped as unknown as CircuitBreaker).breaker).toBe(shaped);
      expect(() => new BatchDeferral({ ...shaped, fallback: () => 'cached' } as unknown as CircuitBreaker)).toThrow(/without a fallback/);
    });

    test('defaults: maxDelay 11 hours, halfOpenDelay 10 s', async () => {
      // GIVEN a HALF_OPEN refusal, no floor
      const cb = breaker();
      const { records } = await queueWithRecords({ messages: 10 });
      const d = new BatchDeferral(cb, { client, minDelay: 0 });

      // WHEN
      const halfOpen = await d.defer(records, new CircuitOpenError(cb.circuitId, 'HALF_OPEN'));

      // THEN deferrals of 1-10 s
      halfOpen.deferred.forEach(m => expect(m.visibilityTimeout).toBeGreaterThanOrEqual(1));
      halfOpen.deferred.forEach(m => expect(m.visibilityTimeout).toBeLessThanOrEqual(10));
      expect(halfOpen.deferred).toHaveLength(10);
      // and a refusal 20 hours away defers by 11 hours
      const far = await d.defer(records.slice(0, 1), new CircuitOpenError(cb.circuitId, 'OPEN', new Date(Date.now() + 20 * 3_600_000)));
      expect(far.deferred[0].visibilityTimeout).toBe(39_600);
    });
  });
});

describe('queueUrlFromArn', () => {
  test.each([
    ['arn:aws:sqs:eu-west-1:123456789012:orders', 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders'],
    ['arn:aws:sqs:us-east-1:123456789012:orders.fifo', 'https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo'],
    ['arn:aws-cn:sqs:cn-north-1:123456789012:orders', 'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/orders'],
    ['arn:aws-us-gov:sqs:us-gov-west-1:123456789012:orders', 'https://sqs.us-gov-west-1.amazonaws.com/123456789012/orders'],
    ['arn:aws-iso:sqs:us-iso-east-1:123456789012:orders', 'https://sqs.us-iso-east-1.c2s.ic.gov/123456789012/orders'],
    ['arn:aws-iso-b:sqs:us-isob-east-1:123456789012:orders', 'https://sqs.us-isob-east-1.sc2s.sgov.gov/123456789012/orders'],
    ['arn:aws-iso-e:sqs:eu-isoe-west-1:123456789012:orders', 'https://sqs.eu-isoe-west-1.cloud.adc-e.uk/123456789012/orders'],
    ['arn:aws-iso-f:sqs:us-isof-south-1:123456789012:orders', 'https://sqs.us-isof-south-1.csp.hci.ic.gov/123456789012/orders'],
    ['arn:aws-eusc:sqs:eusc-de-east-1:123456789012:orders', 'https://sqs.eusc-de-east-1.amazonaws.eu/123456789012/orders'],
  ])('%s', (arn, url) => {
    expect(queueUrlFromArn(arn)).toBe(url);
  });

  test('the suffixes agree with the AWS SDK\'s partition data', () => {
    // GIVEN the SDK's own partition resolver (the SQS client resolves its endpoints with it; a dependency of @aws-sdk/client-sqs)
    // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
    const { partition } = require('@aws-sdk/core/client') as { partition(region: string): { name: string; dnsSuffix: string } };
    for (const region of ['us-east-1', 'cn-north-1', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'us-isof-south-1', 'eusc-de-east-1']) {
      const { name, dnsSuffix } = partition(region);
      // WHEN / THEN
      expect(queueUrlFromArn(`arn:${name}:sqs:${region}:123456789012:q`)).toBe(`https://sqs.${region}.${dnsSuffix}/123456789012/q`);
    }
  });

  test('fails if the ARN is not an SQS queue ARN', () => {
    expect(() => queueUrlFromArn('arn:aws:sns:us-east-1:123456789012:topic')).toThrow(
      /eventSourceARN must be an SQS queue ARN \(arn:<partition>:sqs:<region>:<account>:<name>\), got "arn:aws:sns:us-east-1:123456789012:topic"/);
  });

  test('fails if the partition is unknown', () => {
    expect(() => queueUrlFromArn('arn:aws-xx:sqs:xx-east-1:123456789012:q')).toThrow(
      /eventSourceARN partition must be one of aws, aws-us-gov, aws-cn, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc, got aws-xx in arn:aws-xx:sqs:xx-east-1:123456789012:q/);
  });
});
