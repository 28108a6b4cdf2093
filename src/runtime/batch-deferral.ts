/**
 * Keeping the messages of an SQS batch while a circuit is open: the records the
 * circuit refuses are reported as batch item failures and stay hidden in the
 * queue until the circuit lets a probe through, so that an outage does not
 * spend their receives (and send them to the dead-letter queue).
 */
// The Lambda Node.js runtime provides the AWS SDK v3: it is deliberately not a dependency of this package.
// eslint-disable-next-line import/no-extraneous-dependencies
import { ChangeMessageVisibilityBatchCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
// eslint-disable-next-line import/no-extraneous-dependencies
import type { SQSClientConfig } from '@aws-sdk/client-sqs';
import { CircuitOpenError } from './circuit-breaker';
import type { CircuitBreaker } from './circuit-breaker';
import { metricLine } from './circuit-metrics';
import { CIRCUIT_BREAKER_DIMENSIONS } from './contract';
import { consoleLogger, RuntimeLogger } from './logger';
import { describeValue, optionalObjectWith, optionsObject, requireFunction } from './validate';

/**
 * SQS's limit: a message's visibility timeout ends at most 12 hours after the
 * receive that delivered it, in ms. SQS refuses a longer one; it does not shorten it.
 *
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html
 */
const SQS_MAX_VISIBILITY = 43_200_000;
/** SQS's limit: entries of one ChangeMessageVisibilityBatch request. */
const SQS_MAX_BATCH_ENTRIES = 10;
/** ChangeMessageVisibilityBatch requests in flight at once (a batch of 10,000 records makes 1,000). */
const CONCURRENT_REQUESTS = 8;
/** After GetQueueAttributes failed, it is not asked again for this long (and `minDelay` is 0 meanwhile). */
const ATTRIBUTES_RETRY_AFTER = 60_000;
/** The defaults of `BatchDeferralOptions`, in ms, each in one place. */
const DEFAULT_MAX_DELAY = 39_600_000;
const DEFAULT_HALF_OPEN_DELAY = 10_000;
/** The least spread of the default `jitter`. */
const MIN_DEFAULT_JITTER = 1_000;

/**
 * The configuration of the SQS clients a `BatchDeferral` creates when it is
 * given none (one per region of the records' queues, in that region): at
 * most 2 attempts, 1,000 ms to connect, 2,000 ms per request, so that a hung
 * SQS does not hold the invocation (a deferral that fails loses nothing: the
 * message comes back after the queue's visibility timeout).
 *
 * `useQueueUrlAsEndpoint: false`: requests go to the endpoint the AWS SDK
 * resolves from its configuration, never to the host of the queue URL. So a
 * configured endpoint is honoured (`AWS_ENDPOINT_URL_SQS` or
 * `AWS_ENDPOINT_URL`, `endpoint_url` in the shared config file, an
 * `endpoint`: a local SQS in a test), and so are FIPS and dual-stack
 * settings (`AWS_USE_FIPS_ENDPOINT`, `AWS_USE_DUALSTACK_ENDPOINT`); without
 * them it is SQS's standard endpoint of the queue's region. Credentials come
 * from the environment as for any AWS SDK client.
 */
export const BATCH_DEFERRAL_CLIENT_CONFIG: SQSClientConfig = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  useQueueUrlAsEndpoint: false,
};

/**
 * The part of an SQS record of a Lambda event (`SQSRecord` of `@types/aws-lambda`)
 * that a deferral reads. Records of Lambda's SQS events fit as they are.
 */
export interface SqsRecordLike {
  /** The message's id: the `itemIdentifier` of a batch item failure. */
  readonly messageId: string;
  /** The handle of the receive that delivered the record: its visibility is changed with it. */
  readonly receiptHandle: string;
  /** The queue's ARN, `arn:<partition>:sqs:<region>:<account>:<name>`: the queue URL is derived from it. */
  readonly eventSourceARN: string;
  /** The message's system attributes; a FIFO queue's records carry `MessageGroupId`. */
  readonly attributes: {
    /** The message group of a FIFO queue's record: its records are deferred together. */
    readonly MessageGroupId?: string;
  };
}

/** An SQS event of Lambda (`SQSEvent` of `@types/aws-lambda`), or any object with its `Records`. */
export interface SqsEventLike<R extends SqsRecordLike = SqsRecordLike> {
  /** The batch's records, in the queue's order. */
  readonly Records: readonly R[];
}

/** What a handler of an SQS event source mapping with `ReportBatchItemFailures` returns (`SQSBatchResponse`). */
export interface SqsBatchResponse {
  /** The records to keep in the queue; every other record of the batch is deleted by Lambda. */
  readonly batchItemFailures: {
    /** The `messageId` of a record to keep. */
    readonly itemIdentifier: string;
  }[];
}

/** A record whose visibility was changed. */
export interface DeferredMessage {
  /** The record's `messageId`. */
  readonly messageId: string;
  /** The visibility timeout given to SQS, in seconds from the change: when the message comes back. */
  readonly visibilityTimeout: number;
}

/** A record whose visibility could not be changed: it comes back after the queue's visibility timeout. */
export interface FailedDeferral {
  /** The record's `messageId`. */
  readonly messageId: string;
  /**
   * Why, in short: the error code SQS gave for the entry (`ReceiptHandleIsInvalid`,
   * `InvalidParameterValue`), or the request's error by its name and, when it
   * has one that the name does not say, its code (`TimeoutError`,
   * `Error ECONNREFUSED`, `AccessDenied`), or `InvalidEventSourceArn`.
   */
  readonly reason: string;
  /** The message of SQS's answer or of the request's error. */
  readonly message: string;
}

/** What `BatchDeferral.defer()` did. */
export interface DeferralResult {
  /** The records whose visibility was changed, and to how long. */
  readonly deferred: readonly DeferredMessage[];
  /** The records whose visibility could not be changed, and why: they come back after the queue's visibility timeout. */
  readonly failed: readonly FailedDeferral[];
}

/**
 * Options of a `BatchDeferral`. Durations are in milliseconds; SQS counts
 * visibility timeouts in whole seconds, so each deferral is rounded up to one.
 */
export interface BatchDeferralOptions {
  /**
   * The least a deferral lasts. A deferral shorter than the queue's visibility
   * timeout would bring a message back sooner than reporting it as failed does,
   * and spend its receives faster.
   *
   * Valid range: 0 - `maxDelay`.
   *
   * Default: the queue's visibility timeout, read with `GetQueueAttributes`
   * (`QueueDecoupledFunction` grants it) once per queue for the life of the
   * Lambda environment; 0 while that read fails (logged once a minute at most).
   */
  readonly minDelay?: number;

  /**
   * The most a deferral lasts. SQS refuses a visibility timeout that ends more
   * than 12 hours after the receive that delivered the message, and a Lambda
   * event does not say when that receive was (`ApproximateFirstReceiveTimestamp`
   * is the first receive only): the default leaves an hour for the batching
   * window, the invocation and throttled invocations. A message whose circuit
   * stays open longer comes back after `maxDelay` and is deferred again.
   *
   * Valid range: 1,000 - 43,200,000 (12 hours).
   *
   * Default: 39,600,000 (11 hours).
   */
  readonly maxDelay?: number;

  /**
   * How widely messages refused by an OPEN circuit are spread after its
   * `retryAfter`: each comes back at `retryAfter` plus a uniformly drawn
   * share of `jitter`, so that the backlog does not arrive at once when the
   * probe is due (and does not all spend a receive if the probe fails).
   *
   * Valid range: 0 - 43,200,000.
   *
   * Default: the time left until `retryAfter`, at least 1,000: the backlog
   * comes back over about one more open period, so the longer the outage (and
   * the backlog), the wider the spread.
   */
  readonly jitter?: number;

  /**
   * How long a message refused without a `retryAfter` is deferred: while
   * another environment probes (HALF_OPEN), or while DynamoDB fails with the
   * breaker's `failOpen: false`. It comes back after `minDelay` plus a
   * uniformly drawn share of `halfOpenDelay`, when the probe has most likely
   * closed or re-opened the circuit.
   *
   * Valid range: 0 - 43,200,000.
   *
   * Default: 10,000.
   */
  readonly halfOpenDelay?: number;

  /**
   * The SQS client that changes the visibility of messages and reads the
   * queue's visibility timeout. It is used as it is: the queue URL is derived
   * from the record's `eventSourceARN` (at the standard endpoint of its
   * partition), and a client without an `endpoint` sends to that URL's host
   * unless it has `useQueueUrlAsEndpoint: false` (the AWS SDK's default is
   * `true`, which ignores `AWS_ENDPOINT_URL_SQS`).
   *
   * Default: a new `SQSClient` per region with `BATCH_DEFERRAL_CLIENT_CONFIG`
   * (2 attempts, 2 s per request, the endpoint the AWS SDK's configuration
   * gives: `AWS_ENDPOINT_URL_SQS` points it at a local SQS).
   */
  readonly client?: SQSClient;

  /**
   * Where a deferral that failed is logged, and why (for example the `Logger`
   * of Powertools for AWS Lambda). Default: one JSON line on the console.
   * The `MessagesDeferred` metric is a CloudWatch embedded metric format line,
   * always written to stdout.
   */
  readonly logger?: RuntimeLogger;
}

/**
 * Keeps the messages of an SQS batch while a circuit is open, for a function
 * behind an SQS event source mapping with `ReportBatchItemFailures` (as
 * `QueueDecoupledFunction` creates).
 *
 * A record the circuit refuses (`CircuitOpenError`) is reported as a batch
 * item failure and its visibility is pushed to the circuit's `retryAfter`
 * (with `ChangeMessageVisibilityBatch`), spread by `jitter`: it is not
 * received again, so no receive is spent, while the downstream is known to be
 * down, and it comes back when the probe is due. A record refused without a
 * `retryAfter` (HALF_OPEN: another environment probes) comes back after
 * `halfOpenDelay`. No deferral is shorter than `minDelay` (the queue's
 * visibility timeout) nor longer than `maxDelay`.
 *
 * **maxReceiveCount.** Each deferral still costs the receive that delivered
 * the batch. A message is received at most about once per open period; with
 * a breaker's `openTimeout` T doubling up to `maxOpenTimeout` M and the
 * queue's `maxReceiveCount` R, a message that arrives when the circuit opens
 * is dead-lettered only if the outage outlasts R - 1 open periods:
 * T + 2T + ... + min(2^(R-2) T, M), at least (R - 1) × the queue's visibility
 * timeout. With the breaker's defaults (10 s doubling up to 300 s) and R = 5:
 * 10 + 20 + 40 + 80 = 150 s for the first messages, and (R - 1) × M = 20 min
 * for messages that arrive once the open period has reached M. Reporting the
 * messages as failed instead survives R × the visibility timeout
 * (90 s with `QueueDecoupledFunction`'s default 18 s). Each receive more buys
 * an open period more: raise `maxReceiveCount` for a queue consumed behind a
 * breaker. A record refused while a probe is in flight (HALF_OPEN) spends one
 * receive more.
 *
 * **Retention.** Deferral does not make a message younger: it still expires
 * at the source queue's retention period, counted from when it was sent
 * (4 days by default), deleted, not dead-lettered. Keep the retention far
 * above the outages the queue must survive.
 *
 * **FIFO queues.** A record of a message group must not overtake an earlier
 * one. Once a record is refused, the handler is called for no later record
 * of the batch: every remaining record is deferred, each message group with one
 * delay, so that it comes back as a unit, in order (SQS delivers nothing of a
 * group while one of its messages is in flight). Once a record fails and the
 * circuit stays closed, every remaining record is reported as failed (as
 * Lambda recommends) and comes back after the queue's visibility timeout.
 *
 * **When a deferral fails** (SQS refuses the change or cannot be reached, or
 * the ARN has an unknown partition) the message is still reported as a batch
 * item failure: it comes back after the queue's visibility timeout and spends a
 * receive, never lost. One line is logged per `defer()` that failed, with the
 * message ids and the reasons.
 *
 * **What it logs.** One CloudWatch embedded metric format line per `defer()`
 * (namespace `CdkResilience/CircuitBreaker`, dimension `CircuitId`): the
 * metrics `MessagesDeferred` and `DeferralsFailed`; and one error line
 * through `logger` when a deferral failed.
 *
 * Create it once per Lambda environment, outside the handler, as the breaker:
 * it keeps the SQS client and the queues' visibility timeouts.
 *
 * @example
 * const breaker = new CircuitBreaker({ circuitId: 'payments' });
 * const deferral = new BatchDeferral(breaker);
 * export const handler = (event: SQSEvent) =>
 *   deferral.process(event, async (record) => charge(JSON.parse(record.body)));
 */
export class BatchDeferral {
  /** The circuit whose refusals are deferred. */
  public readonly breaker: CircuitBreaker;
  private readonly minDelay?: number;
  private readonly maxDelay: number;
  private readonly jitter?: number;
  private readonly halfOpenDelay: number;
  private readonly logger: RuntimeLogger;
  private readonly givenClient?: SQSClient;
  /** The clients this deferral created, by region. */
  private readonly ownClients = new Map<string, SQSClient>();
  /** The queues' visibility timeouts (ms), by queue URL; a failed read is remembered for a minute. */
  private readonly visibilityTimeouts = new Map<string, { readonly value: Promise<number | undefined>; readonly until: number }>();

  /**
   * @param breaker the circuit whose refusals are deferred. A breaker with a
   *   `fallback` never refuses (its fallback's result would count as processed,
   *   and the message be deleted): it is not accepted here, at compile time
   *   in TypeScript and at run time in every language (the constructor throws)
   * @throws Error when `breaker` is not a `CircuitBreaker` or has a `fallback`, or when an option is out of range
   */
  constructor(breaker: CircuitBreaker, options: BatchDeferralOptions = {}) {
    this.breaker = acceptedBreaker(breaker);
    options = optionsObject('options', options);
    optionalObjectWith('client', options.client, ['send'], 'an SQSClient of the AWS SDK v3');
    optionalObjectWith('logger', options.logger, ['info', 'warn', 'error'], 'a logger');
    this.maxDelay = inRange('maxDelay', options.maxDelay, 1_000, SQS_MAX_VISIBILITY, DEFAULT_MAX_DELAY);
    if (options.minDelay !== undefined) {
      this.minDelay = inRange('minDelay', options.minDelay, 0, this.maxDelay, 0, `maxDelay (${ms(this.maxDelay)} ms)`);
    }
    if (options.jitter !== undefined) {
      this.jitter = inRange('jitter', options.jitter, 0, SQS_MAX_VISIBILITY, 0);
    }
    this.halfOpenDelay = inRange('halfOpenDelay', options.halfOpenDelay, 0, SQS_MAX_VISIBILITY, DEFAULT_HALF_OPEN_DELAY);
    this.logger = options.logger ?? consoleLogger;
    this.givenClient = options.client;
  }

  /**
   * Processes the records of an SQS event one after the other, each through
   * the breaker (`breaker.fire(() => handler(record))`), and returns the
   * records to keep as batch item failures:
   *
   * - a record the handler processed is not reported (Lambda deletes it);
   * - a record the circuit refused (a `CircuitOpenError`, from this breaker or
   *   another one the handler uses) is deferred and reported;
   * - a record the handler failed is reported. When the circuit is OPEN after
   *   the failure (the failure opened it, or the probe failed), the record is
   *   tried once more through the breaker: the open circuit refuses it without
   *   calling the handler (should its open period be over, that try is the
   *   probe). A failed record is deferred when a record of the same batch was
   *   refused: its retry would be refused as well. This keeps the records whose
   *   failures opened the circuit;
   * - FIFO queues (the ARN ends in `.fifo`): after the first refusal or
   *   failure, the remaining records are not handled but reported (and,
   *   after a refusal, deferred).
   *
   * It does not throw for a record: every record is either processed or
   * reported. It throws (and the invocation fails, so Lambda keeps the whole
   * batch) only when called wrongly: `handler` is not a function, or the event
   * has no `Records` array (it is not an SQS event).
   *
   * @param event the Lambda event (`SQSEvent`)
   * @param handler processes one record; its errors fail the record
   */
  public async process<R extends SqsRecordLike>(event: SqsEventLike<R>, handler: (record: R) => unknown): Promise<SqsBatchResponse> {
    requireFunction('handler', handler);
    const records = event?.Records;
    if (!Array.isArray(records)) {
      throw new Error(`event must be an SQS event with a Records array, got ${describeValue(event)}${event && typeof event === 'object' ? ` whose Records is ${describeValue(records)}` : ''}`);
    }
    const failed: R[] = [];
    let refusal: CircuitOpenError | undefined;
    let handled = 0;
    const attempt = async (record: R): Promise<unknown> => {
      try {
        await this.breaker.fire(async () => { await handler(record); });
        return undefined;
      } catch (error) {
        return error ?? new Error('the handler threw nothing');
      }
    };
    for (const record of records) {
      handled += 1;
      let error = await attempt(record);
      if (error !== undefined && !isCircuitOpenError(error) && await this.breaker.state() === 'OPEN') {
        // This failure opened the circuit (or re-opened it): the circuit refuses the record at once, without
        // calling the handler, and the refusal tells until when to defer it. Were the open period over, this is the probe.
        error = await attempt(record);
      }
      if (error === undefined) {
        continue;
      }
      failed.push(record);
      if (isCircuitOpenError(error)) {
        refusal = error;
      }
      if (isFifo(record)) {
        // A message group must not be overtaken: nothing after the first refusal or failure is handled.
        failed.push(...records.slice(handled));
        break;
      }
    }
    if (refusal) {
      await this.defer(failed, refusal);
    }
    return { batchItemFailures: failed.map(record => ({ itemIdentifier: record.messageId })) };
  }

  /**
   * Wraps a record handler for the batch processing of Powertools for AWS
   * Lambda (`processPartialResponse` with a `BatchProcessor`): the returned
   * handler calls `handler` through the breaker; when the circuit refuses the
   * record, it defers it and throws the `CircuitOpenError` again, so that the
   * processor reports it as a batch item failure. When a record fails and the
   * circuit is OPEN after the failure, the record is tried once more through
   * the breaker, as in `process()`: the refusal defers it. Other errors are
   * thrown as they are, and not deferred.
   *
   * Pass `throwOnFullBatchFailure: false` to `processPartialResponse`: while
   * the circuit is open every record fails, and Powertools would otherwise fail
   * the invocation (which the function's error alarm counts). With a FIFO queue
   * and `SqsFifoPartialProcessor`, the records it skips after the first failure
   * are not deferred: they come back after the queue's visibility timeout
   * (their message group waits for the deferred one; other groups spend a receive);
   * `process()` defers them.
   *
   * @param handler processes one record; it gets the processor's other arguments too
   * @throws Error when `handler` is not a function
   */
  public recordHandler<R extends SqsRecordLike, A extends unknown[], T>(
    handler: (record: R, ...rest: A) => Promise<T> | T,
  ): (record: R, ...rest: A) => Promise<T> {
    requireFunction('handler', handler);
    const attempt = (record: R, rest: A) => this.breaker.fire(async () => handler(record, ...rest)) as Promise<T>;
    return async (record: R, ...rest: A): Promise<T> => {
      let error: unknown;
      try {
        return await attempt(record, rest);
      } catch (e) {
        error = e;
      }
      if (!isCircuitOpenError(error) && await this.breaker.state() === 'OPEN') {
        // As in process(): the failure left the circuit open, which refuses the record at once.
        try {
          return await attempt(record, rest);
        } catch (e) {
          error = e;
        }
      }
      if (isCircuitOpenError(error)) {
        await this.defer([record], error);
      }
      throw error;
    };
  }

  /**
   * Changes the visibility of `records` so that they come back when `error`
   * says the circuit lets a probe through: after `retryAfter` plus a share of
   * `jitter`, or after a share of `halfOpenDelay` when there is no
   * `retryAfter`; never before `minDelay` nor after `maxDelay`. Records of one
   * FIFO message group get one delay. Report the records as batch item
   * failures as well: a deferral alone does not keep a message that the
   * invocation then reports as processed.
   *
   * It does not throw: a record whose visibility could not be changed is in
   * `failed`, logged, and comes back after the queue's visibility timeout.
   *
   * @param records records of the current invocation (their receipt handles must be current)
   * @param error the refusal that defers them
   * @throws Error only when called wrongly: `records` is not an array, or `error` is not a `CircuitOpenError`
   */
  public async defer(records: readonly SqsRecordLike[], error: CircuitOpenError): Promise<DeferralResult> {
    if (!Array.isArray(records)) {
      throw new Error(`records must be an array of SQS records, got ${describeValue(records)}`);
    }
    if (!isCircuitOpenError(error)) {
      throw new Error(`error must be the CircuitOpenError that refused the records (it says until when to defer them), got ${describeValue(error)}`);
    }
    const deferred: DeferredMessage[] = [];
    const failed: FailedDeferral[] = [];
    const byQueue = new Map<string, SqsRecordLike[]>();
    for (const record of records) {
      const queueRecords = byQueue.get(record.eventSourceARN) ?? [];
      queueRecords.push(record);
      byQueue.set(record.eventSourceARN, queueRecords);
    }
    for (const [arn, queueRecords] of byQueue) {
      let queueUrl: string;
      try {
        queueUrl = queueUrlFromArn(arn);
      } catch {
        const message = `eventSourceARN is not the ARN of an SQS queue of a known partition: ${JSON.stringify(arn)}`;
        failed.push(...queueRecords.map(record => ({ messageId: record.messageId, reason: 'InvalidEventSourceArn', message })));
        continue;
      }
      const minDelay = this.minDelay ?? await this.queueVisibilityTimeout(queueUrl, arn);
      const now = Date.now();
      const groupDelays = new Map<string, number>();
      const entries = queueRecords.map(record => {
        const group = isFifo(record) ? record.attributes?.MessageGroupId : undefined;
        let seconds = group !== undefined ? groupDelays.get(group) : undefined;
        if (seconds === undefined) {
          seconds = this.visibilityTimeoutFor(error, minDelay, now);
          if (group !== undefined) groupDelays.set(group, seconds);
        }
        return { record, seconds };
      });
      const result = await this.changeVisibility(queueUrl, arn, entries);
      deferred.push(...result.deferred);
      failed.push(...result.failed);
    }
    this.report(error, records, deferred, failed);
    return { deferred, failed };
  }

  /** The visibility timeout, in whole seconds, of a record refused with `error`. */
  private visibilityTimeoutFor(error: CircuitOpenError, minDelay: number, now: number): number {
    let delay: number;
    if (error.retryAfter) {
      const wait = Math.max(error.retryAfter.getTime() - now, 0);
      const spread = this.jitter ?? Math.max(wait, MIN_DEFAULT_JITTER);
      delay = Math.max(wait, minDelay) + Math.random() * spread;
    } else {
      delay = minDelay + Math.random() * this.halfOpenDelay;
    }
    return Math.max(1, Math.ceil(Math.min(delay, this.maxDelay) / 1_000));
  }

  /** ChangeMessageVisibilityBatch, 10 entries per request, a few requests at a time. */
  private async changeVisibility(queueUrl: string, arn: string,
    entries: readonly { record: SqsRecordLike; seconds: number }[]): Promise<DeferralResult> {
    const deferred: DeferredMessage[] = [];
    const failed: FailedDeferral[] = [];
    const chunks: (typeof entries)[] = [];
    for (let i = 0; i < entries.length; i += SQS_MAX_BATCH_ENTRIES) {
      chunks.push(entries.slice(i, i + SQS_MAX_BATCH_ENTRIES));
    }
    const send = async (chunk: typeof entries) => {
      try {
        const response = await this.client(arn).send(new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map(({ record, seconds }, i) => ({ Id: String(i), ReceiptHandle: record.receiptHandle, VisibilityTimeout: seconds })),
        }));
        const failures = new Map((response.Failed ?? []).map(entry => [entry.Id, entry]));
        chunk.forEach(({ record, seconds }, i) => {
          const failure = failures.get(String(i));
          if (failure !== undefined) {
            failed.push({ messageId: record.messageId, reason: failure.Code ?? 'Failed', message: failure.Message ?? '' });
          } else {
            deferred.push({ messageId: record.messageId, visibilityTimeout: seconds });
          }
        });
      } catch (error) {
        const { reason, message } = describeError(error);
        failed.push(...chunk.map(({ record }) => ({ messageId: record.messageId, reason, message })));
      }
    };
    for (let i = 0; i < chunks.length; i += CONCURRENT_REQUESTS) {
      await Promise.all(chunks.slice(i, i + CONCURRENT_REQUESTS).map(send));
    }
    return { deferred, failed };
  }

  /** The queue's visibility timeout in ms, read once per queue; 0 while it cannot be read. */
  private async queueVisibilityTimeout(queueUrl: string, arn: string): Promise<number> {
    const now = Date.now();
    let cached = this.visibilityTimeouts.get(queueUrl);
    if (!cached || now >= cached.until) {
      const value = this.client(arn).send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] }))
        .then(({ Attributes }) => {
          const seconds = Number(Attributes?.VisibilityTimeout);
          if (!Number.isFinite(seconds)) throw new Error(`VisibilityTimeout is ${Attributes?.VisibilityTimeout}`);
          return seconds * 1_000;
        })
        .catch((error: unknown) => {
          this.visibilityTimeouts.set(queueUrl, { value: Promise.resolve(undefined), until: Date.now() + ATTRIBUTES_RETRY_AFTER });
          const { reason, message } = describeError(error);
          this.logger.warn(`circuit ${this.breaker.circuitId}: GetQueueAttributes failed (${reason}); deferrals are not held to the queue's visibility timeout for a minute`, {
            queueUrl,
            error: message,
          });
          return undefined;
        });
      cached = { value, until: Number.POSITIVE_INFINITY };
      this.visibilityTimeouts.set(queueUrl, cached);
    }
    return await cached.value ?? 0;
  }

  /** The given client, or this deferral's own client for the region of the queue `arn` (a valid SQS ARN). */
  private client(arn: string): SQSClient {
    if (this.givenClient) return this.givenClient;
    const region = arn.split(':')[3];
    let client = this.ownClients.get(region);
    if (!client) {
      client = new SQSClient({ ...BATCH_DEFERRAL_CLIENT_CONFIG, region });
      this.ownClients.set(region, client);
    }
    return client;
  }

  /** One EMF line per deferral, and one error line when some failed. */
  private report(error: CircuitOpenError, records: readonly SqsRecordLike[],
    deferred: readonly DeferredMessage[], failed: readonly FailedDeferral[]): void {
    if (records.length === 0) return;
    const seconds = deferred.map(d => d.visibilityTimeout);
    const range = seconds.length ? ` by ${Math.min(...seconds)}-${Math.max(...seconds)} s` : '';
    const { circuitId } = CIRCUIT_BREAKER_DIMENSIONS;
    console.log(metricLine({
      now: Date.now(),
      dimensions: [[circuitId]],
      values: { [circuitId]: error.circuitId },
      counts: { MessagesDeferred: deferred.length, DeferralsFailed: failed.length },
      message: `circuit ${error.circuitId} is ${error.state}: ${deferred.length} message(s) deferred${range}`,
    }));
    if (failed.length > 0) {
      this.logger.error(`circuit ${error.circuitId}: the visibility of ${failed.length} message(s) could not be changed; they come back after the queue's visibility timeout and spend a receive`, {
        circuitId: error.circuitId,
        state: error.state,
        retryAfter: error.retryAfter?.toISOString(),
        failed,
      });
    }
  }
}

/**
 * The URL of the queue of an SQS ARN, at the standard endpoint of its
 * partition: `arn:aws:sqs:eu-west-1:123456789012:orders` is
 * `https://sqs.eu-west-1.amazonaws.com/123456789012/orders`;
 * `arn:aws-cn:sqs:cn-north-1:...` ends in `amazonaws.com.cn`.
 *
 * @throws Error when the ARN is not an SQS queue ARN, or its partition is unknown
 */
export function queueUrlFromArn(arn: string): string {
  const match = /^arn:([a-z0-9-]+):sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,75}(?:\.fifo)?)$/.exec(arn ?? '');
  if (!match) {
    throw new Error(`eventSourceARN must be an SQS queue ARN (arn:<partition>:sqs:<region>:<account>:<name>), got ${JSON.stringify(arn)}`);
  }
  const [, partition, region, account, name] = match;
  const dnsSuffix = SQS_DNS_SUFFIXES[partition];
  if (dnsSuffix === undefined) {
    throw new Error(`eventSourceARN partition must be one of ${Object.keys(SQS_DNS_SUFFIXES).join(', ')}, got ${partition} in ${arn}`);
  }
  return `https://sqs.${region}.${dnsSuffix}/${account}/${name}`;
}

/** The DNS suffix of each partition's endpoints (the AWS SDK's partition data): `https://sqs.<region>.<suffix>`. */
const SQS_DNS_SUFFIXES: Record<string, string> = {
  'aws': 'amazonaws.com',
  'aws-us-gov': 'amazonaws.com',
  'aws-cn': 'amazonaws.com.cn',
  'aws-iso': 'c2s.ic.gov',
  'aws-iso-b': 'sc2s.sgov.gov',
  'aws-iso-e': 'cloud.adc-e.uk',
  'aws-iso-f': 'csp.hci.ic.gov',
  'aws-eusc': 'amazonaws.eu',
};

/**
 * The breaker, when `BatchDeferral` can defer its refusals: a `CircuitBreaker`
 * (of this copy of the module or another: bundles may hold two) without a fallback.
 */
function acceptedBreaker(breaker: CircuitBreaker): CircuitBreaker {
  const candidate = breaker as Partial<CircuitBreaker> | undefined;
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.fire !== 'function'
    || typeof candidate.state !== 'function' || typeof candidate.circuitId !== 'string') {
    throw new Error(`breaker must be a CircuitBreaker of cdk-resilience/runtime (new BatchDeferral(new CircuitBreaker({ circuitId })), got ${describeValue(breaker)}`);
  }
  // `hasFallback`, or the option as a breaker of another copy keeps it.
  if (candidate.hasFallback === true || typeof (candidate as { fallback?: unknown }).fallback === 'function') {
    throw new Error(`breaker must be a CircuitBreaker without a fallback, got one with a fallback (circuit ${JSON.stringify(candidate.circuitId)}): `
      + 'a breaker with a fallback never refuses a call, it answers with the fallback\'s result, so BatchDeferral would see every refused record as processed '
      + 'and Lambda would delete it. Give BatchDeferral a CircuitBreaker with the same circuitId and no fallback (both share one circuit); '
      + 'keep the fallback for the breakers of synchronous callers');
  }
  return breaker;
}

/**
 * What an error of a request says, for a log line and `FailedDeferral`: its
 * name, with its code when the name does not say it (a network error is an
 * `Error` with `code: 'ECONNREFUSED'`), and its message.
 */
function describeError(error: unknown): { reason: string; message: string } {
  const e = error as { name?: unknown; code?: unknown; Code?: unknown; message?: unknown; cause?: { code?: unknown } } | undefined;
  const name = typeof e?.name === 'string' && e.name.length > 0 ? e.name : 'Error';
  const message = typeof e?.message === 'string' && e.message.length > 0 ? e.message : String(error);
  // Where the AWS SDK wrapped a network error it did not recognise as an Error (one of another realm, as under
  // jest), its code is only in the message: "AWS SDK error wrapper for Error: connect ECONNREFUSED ...".
  const codeInMessage = /^AWS SDK error wrapper for .*?\b(E[A-Z]{3,}|ERR_[A-Z0-9_]+)\b/.exec(message)?.[1];
  const code = [e?.code, e?.Code, e?.cause?.code, codeInMessage].find((c): c is string => typeof c === 'string' && c.length > 0 && c !== name);
  return { reason: code ? `${name} ${code}` : name, message };
}

function isFifo(record: SqsRecordLike): boolean {
  return typeof record.eventSourceARN === 'string' && record.eventSourceARN.endsWith('.fifo');
}

/** `instanceof`, or the same shape: a handler bundled with another copy of this module throws another class. */
function isCircuitOpenError(error: unknown): error is CircuitOpenError {
  return error instanceof CircuitOpenError || (error instanceof Error && error.name === 'CircuitOpenError'
    && typeof (error as CircuitOpenError).circuitId === 'string' && typeof (error as CircuitOpenError).state === 'string');
}

/** Validates a duration option: the error names the option, the range and the value. */
function inRange(name: string, value: number | undefined, min: number, max: number, fallback: number, maxLabel?: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const upper = maxLabel ?? `${ms(max)} ms${max === SQS_MAX_VISIBILITY ? ' (12 hours)' : ''}`;
    throw new Error(`${name} must be between ${ms(min)} and ${upper}, got ${value}`);
  }
  return value;
}

function ms(value: number): string {
  return value.toLocaleString('en-US');
}
