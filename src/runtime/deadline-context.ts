/**
 * The deadline of one invocation: the time Lambda gives it (`context.getRemainingTimeInMillis()`),
 * minus a margin kept for failing well (counting the failure, answering with a
 * fallback, reporting a batch item). Imports nothing of the AWS SDK.
 */
import { AsyncLocalStorage } from 'async_hooks';
import { performance } from 'perf_hooks';
import { describeValue, optionalNumber, optionsObject, requireFunction } from './validate';

/**
 * The defaults of `withDeadline()` and `applyDeadline()`, in one place. Durations are in milliseconds.
 */
export const DEADLINE_DEFAULTS = Object.freeze({
  /**
   * The share of the invocation's remaining time kept for failing well: 10%
   * (300 ms of Lambda's default 3 s timeout, 2.9 s of API Gateway's 29 s).
   */
  marginRatio: 0.1,
  /**
   * The least margin: 500 ms. A failure report is a write or two (the circuit
   * breaker's `UpdateItem`, a log line, an SQS visibility change), tens of ms
   * when they are healthy, more on a new connection.
   */
  minMargin: 500,
  /** Attempts per call, the first included: 3, as the AWS SDK's standard retry mode. */
  maxAttempts: 3,
  /** The base of the exponential backoff: 100 ms, as the AWS SDK's. */
  baseDelay: 100,
  /** The cap of the exponential backoff: 20,000 ms, as the AWS SDK's. The deadline usually ends retries first. */
  maxDelay: 20_000,
});

/** The longest a Lambda invocation runs (15 minutes), in ms: no margin or delay is longer. */
const MAX_DURATION = 900_000;

/** The part of the Lambda context (`Context` of `@types/aws-lambda`) a deadline reads. */
export interface LambdaContextLike {
  /** The time left before Lambda ends the invocation, in ms. */
  getRemainingTimeInMillis(): number;
}

/** Options of `withDeadline()`. Durations are in milliseconds. */
export interface DeadlineOptions {
  /**
   * How long before Lambda's timeout the deadline falls: the time kept for
   * failing well once a call was stopped (counting the failure, answering
   * with a fallback, reporting the batch item).
   *
   * Valid range: 0 - 900,000.
   *
   * Default: 10% of the remaining time when the deadline is created, at
   * least 500 ms (`DEADLINE_DEFAULTS`).
   */
  readonly margin?: number;
}

/**
 * The error of a call stopped at the invocation's deadline (and the `reason`
 * of the deadline's `signal`): the time left is the margin, kept to fail well.
 */
export class DeadlineExceededError extends Error {
  /**
   * @param margin the margin the deadline kept before Lambda's timeout, in ms
   * @param options `cause`: the error of the call that was stopped (an AWS SDK `AbortError`), if any
   */
  constructor(
    /** The margin the deadline kept before Lambda's timeout, in ms. */
    public readonly margin: number,
    options?: { cause?: unknown },
  ) {
    super(`the invocation's deadline passed: the call was stopped about ${Math.round(margin)} ms before the function's timeout, to leave time to fail well`, options);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * The deadline of one invocation. Create it at the start of the handler with
 * `withDeadline(context)`; it is not meant to outlive the invocation.
 *
 * - `remaining()` is the time left before the deadline;
 * - `signal` aborts at the deadline (its `reason` is a `DeadlineExceededError`):
 *   pass it to anything that takes an `AbortSignal`;
 * - `fetch()` is `fetch` stopped at the deadline;
 * - `run(operation)` makes it the deadline of every call of the AWS SDK
 *   clients given to `applyDeadline()` that `operation` makes, however deep.
 */
export class Deadline {
  /** The time kept before Lambda's timeout, in ms. */
  public readonly margin: number;
  /** Aborts at the deadline, with a `DeadlineExceededError` as its `reason`. */
  public readonly signal: AbortSignal;
  /** The deadline on the monotonic clock (`performance.now()`), in ms. */
  private readonly at: number;

  /** @internal use `withDeadline(context, options)` */
  constructor(remainingTime: number, margin: number) {
    this.margin = margin;
    this.at = performance.now() + remainingTime - margin;
    const controller = new AbortController();
    this.signal = controller.signal;
    const abort = () => controller.abort(new DeadlineExceededError(margin));
    const wait = this.at - performance.now();
    if (wait <= 0) {
      abort();
    } else {
      // unref: a deadline never keeps a process (a test, a script) alive.
      setTimeout(abort, wait).unref();
    }
  }

  /** The time left before the deadline, in ms; 0 once it has passed. */
  public remaining(): number {
    return Math.max(0, this.at - performance.now());
  }

  /** Whether the deadline has passed. */
  public get expired(): boolean {
    return this.signal.aborted || this.remaining() === 0;
  }

  /**
   * `fetch`, stopped at the deadline: it rejects with a `DeadlineExceededError`
   * when the deadline passes before the response (or its body, while you read
   * it) has arrived, and at once when it has already passed. A `signal` of
   * yours in `init` still aborts it too. It does not retry.
   *
   * @throws DeadlineExceededError when the deadline passes first
   */
  public async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    if (this.signal.aborted) throw this.signal.reason;
    const own = init?.signal ?? undefined;
    return fetch(input, { ...init, signal: own ? eitherSignal(own, this.signal) : this.signal });
  }

  /**
   * Runs `operation` with this deadline as the current one: every call that
   * `operation` makes (awaited or not, however deep) through an AWS SDK
   * client given to `applyDeadline()` stops at this deadline, and
   * `currentDeadline()` returns it. Returns what `operation` returns.
   *
   * @throws Error when `operation` is not a function
   */
  public run<T>(operation: (deadline: Deadline) => T): T {
    requireFunction('operation', operation);
    return storage().run(this, () => operation(this));
  }
}

/**
 * The deadline of this invocation: the time Lambda gives it minus `margin`
 * (by default 10% of it, at least 500 ms), kept to fail well. Call it at the
 * start of the handler, and run the handler's work in `deadline.run()`.
 *
 * @example
 * exports.handler = async (event, context) =>
 *   withDeadline(context).run(async (deadline) => {
 *     const response = await deadline.fetch(process.env.PAYMENTS_URL);
 *     return response.json();
 *   });
 *
 * @param context the Lambda context: its `getRemainingTimeInMillis()` is read once
 * @throws Error when `context` has no `getRemainingTimeInMillis()` or it returns no number of ms, or `margin` is out of range
 */
export function withDeadline(context: LambdaContextLike, options: DeadlineOptions = {}): Deadline {
  if (context === null || typeof context !== 'object' || typeof context.getRemainingTimeInMillis !== 'function') {
    throw new Error(`context must be the Lambda context (an object with getRemainingTimeInMillis()), got ${describeValue(context)}`);
  }
  options = optionsObject('options', options);
  optionalNumber('margin', options.margin, 0, MAX_DURATION, { unit: 'ms' });
  const remainingTime = context.getRemainingTimeInMillis();
  if (typeof remainingTime !== 'number' || !Number.isFinite(remainingTime) || remainingTime < 0) {
    throw new Error(`context.getRemainingTimeInMillis() must return zero or a positive number of ms, got ${describeValue(remainingTime)}`);
  }
  const margin = options.margin ?? Math.max(DEADLINE_DEFAULTS.minMargin, remainingTime * DEADLINE_DEFAULTS.marginRatio);
  return new Deadline(remainingTime, margin);
}

/** The deadline of the `deadline.run()` this code runs in, if any. */
export function currentDeadline(): Deadline | undefined {
  return storage().getStore();
}

/**
 * One store per process, even when a bundle or a test holds two copies of
 * this module (its CommonJS and ES module builds): the deadline one copy
 * runs is the one the other's clients see.
 */
function storage(): AsyncLocalStorage<Deadline> {
  const key = Symbol.for('cdk-resilience.runtime.deadline');
  const holder = globalThis as unknown as Record<symbol, AsyncLocalStorage<Deadline> | undefined>;
  return holder[key] ??= new AsyncLocalStorage<Deadline>();
}

/** A signal that aborts when either aborts, with that one's reason. */
export function eitherSignal(first: AbortSignal, second: AbortSignal): AbortSignal {
  if (first instanceof AbortSignal && typeof AbortSignal.any === 'function') {
    return AbortSignal.any([first, second]);
  }
  // A signal of another implementation (an AbortController polyfill): listen to both.
  const controller = new AbortController();
  for (const signal of [first, second]) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    const onAbort = () => controller.abort(signal.reason);
    if (typeof signal.addEventListener === 'function') {
      signal.addEventListener('abort', onAbort, { once: true });
    } else {
      (signal as { onabort: unknown }).onabort = onAbort;
    }
  }
  return controller.signal;
}
