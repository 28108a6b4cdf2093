/**
 * AWS SDK for JavaScript v3 clients bound to the invocation's deadline: each
 * call is aborted at the deadline, and retried with full jitter only while a
 * retry can still finish before it. Nothing of the AWS SDK is imported: the
 * client you give is changed through its configuration, which every v3 client has.
 */
import { currentDeadline, Deadline, DEADLINE_DEFAULTS, DeadlineExceededError, eitherSignal } from './deadline-context';
import { describeValue, optionalFunction, optionalNumber, optionsObject } from './validate';

/** Options of `applyDeadline()` and `deadlineRetryStrategy()`. Durations are in milliseconds. */
export interface DeadlineRetryOptions {
  /**
   * The most attempts of one call, the first included (1: no retry). Fewer
   * are made when the next one could not finish before the deadline.
   *
   * Valid range: 1 - 100.
   *
   * Default: 3, as the AWS SDK's standard retry mode.
   */
  readonly maxAttempts?: number;
  /**
   * The base of the backoff: the sleep before retry n (from 0) is drawn
   * uniformly from 0 to min(`maxDelay`, `baseDelay` × 2^n) ("full jitter").
   *
   * Valid range: 0 - 900,000.
   *
   * Default: 100.
   */
  readonly baseDelay?: number;
  /**
   * The cap of the backoff: no sleep is longer. A `Retry-After` the service
   * sends is honoured up to it.
   *
   * Valid range: 0 - 900,000.
   *
   * Default: 20,000, as the AWS SDK's.
   */
  readonly maxDelay?: number;
  /** Where the jitter comes from: a number in [0, 1). Default: `Math.random`. */
  readonly random?: () => number;
}

/**
 * What a retry strategy of the AWS SDK v3 is handed: how the last attempt
 * failed. (`RetryErrorInfo` of `@smithy/types`.)
 */
export interface RetryErrorInfoLike {
  /** The SDK's class of the error: only `CLIENT_ERROR` is not retried. */
  readonly errorType: 'TRANSIENT' | 'THROTTLING' | 'SERVER_ERROR' | 'CLIENT_ERROR';
  /** When the service asked to be called again (`Retry-After`). */
  readonly retryAfterHint?: Date;
}

/** A retry token of the AWS SDK v3 (`RetryToken` of `@smithy/types`): the retries so far, and the sleep before the next attempt. */
export interface RetryTokenLike {
  /** The retries made so far (0 before the first retry). */
  getRetryCount(): number;
  /** The sleep before the next attempt, in ms. */
  getRetryDelay(): number;
}

/**
 * A retry strategy of the AWS SDK v3 (`RetryStrategyV2` of `@smithy/types`):
 * give it to a client as `retryStrategy`, or let `applyDeadline()` do it.
 */
export interface DeadlineRetryStrategy {
  /** Before the first attempt: refuses (with a `DeadlineExceededError`) when the current deadline has passed. */
  acquireInitialRetryToken(retryTokenScope: string): Promise<RetryTokenLike>;
  /** After a failed attempt: the token of the next one, or the refusal (the SDK then throws the attempt's error). */
  refreshRetryTokenForRetry(token: RetryTokenLike, errorInfo: RetryErrorInfoLike): Promise<RetryTokenLike>;
  /** After a successful attempt: nothing to do. */
  recordSuccess(token: RetryTokenLike): void;
}

/** A token of this strategy: when its attempt starts, and under which deadline. */
class Token implements RetryTokenLike {
  constructor(
    private readonly retryCount: number,
    private readonly delay: number,
    /** When the attempt this token admits starts (`Date.now()` after the sleep). */
    public readonly attemptStart: number,
    public readonly deadline: Deadline | undefined,
  ) {}

  public getRetryCount(): number {
    return this.retryCount;
  }

  public getRetryDelay(): number {
    return this.delay;
  }
}

/**
 * A retry strategy for AWS SDK v3 clients whose backoff is full jitter
 * (sleep = random(0, min(`maxDelay`, `baseDelay` × 2^retry))) and which
 * starts no attempt that cannot finish before the current deadline (the
 * deadline of the `deadline.run()` the call is made in): a retry is made only
 * if its sleep plus the time the failed attempt took fits in the time left.
 * Errors the AWS SDK classes as `CLIENT_ERROR` are not retried. Outside a
 * `deadline.run()`, it retries as the AWS SDK's standard mode does, with full
 * jitter and no retry quota.
 *
 * `applyDeadline()` gives it to a client; give it yourself as the
 * `retryStrategy` of a client's configuration to keep the client's own
 * request handler.
 *
 * @throws Error when an option is out of range or of the wrong type
 */
export function deadlineRetryStrategy(options: DeadlineRetryOptions = {}): DeadlineRetryStrategy {
  const settings = retrySettings(options);
  return {
    async acquireInitialRetryToken(): Promise<RetryTokenLike> {
      const deadline = currentDeadline();
      if (deadline?.expired) throw new DeadlineExceededError(deadline.margin);
      return new Token(0, 0, Date.now(), deadline);
    },
    async refreshRetryTokenForRetry(token: RetryTokenLike, errorInfo: RetryErrorInfoLike): Promise<RetryTokenLike> {
      if (!(token instanceof Token)) {
        throw new Error(`token must be a token of this strategy, got ${describeValue(token)}`);
      }
      const retry = token.getRetryCount();
      if (errorInfo?.errorType === 'CLIENT_ERROR') {
        throw new Error('not retried: the AWS SDK classes the error as a client error');
      }
      if (retry + 1 >= settings.maxAttempts) {
        throw new Error(`not retried: ${settings.maxAttempts} attempts made`);
      }
      const now = Date.now();
      let delay = fullJitter(retry, settings);
      const hint = errorInfo.retryAfterHint instanceof Date ? errorInfo.retryAfterHint.getTime() - now : NaN;
      if (Number.isFinite(hint) && hint > delay) {
        delay = Math.min(hint, settings.maxDelay);
      }
      const deadline = token.deadline;
      if (deadline) {
        // The next attempt must start after the sleep and, taking as long as the failed one, end before the deadline.
        const lastAttempt = Math.max(0, now - token.attemptStart);
        if (delay + lastAttempt >= deadline.remaining()) {
          throw new Error(`not retried: a retry after ${Math.round(delay)} ms, taking ${lastAttempt} ms as the last attempt did, `
            + `would not end within the ${Math.round(deadline.remaining())} ms left before the deadline`);
        }
      }
      return new Token(retry + 1, delay, now + delay, deadline);
    },
    recordSuccess(): void {
      // No retry quota to refill: retries are bounded by maxAttempts and the deadline.
    },
  };
}

/** The sleep before retry `retry` (from 0): uniformly drawn from 0 to min(maxDelay, baseDelay × 2^retry). */
function fullJitter(retry: number, settings: RetrySettings): number {
  const ceiling = Math.min(settings.maxDelay, settings.baseDelay * 2 ** retry);
  const drawn = settings.random();
  // A random that strays out of [0, 1) cannot push a sleep past the cap.
  const share = typeof drawn === 'number' && Number.isFinite(drawn) ? Math.min(Math.max(drawn, 0), 1) : 1;
  return share * ceiling;
}

interface RetrySettings {
  readonly maxAttempts: number;
  readonly baseDelay: number;
  readonly maxDelay: number;
  readonly random: () => number;
}

function retrySettings(options: DeadlineRetryOptions): RetrySettings {
  options = optionsObject('options', options);
  optionalNumber('maxAttempts', options.maxAttempts, 1, 100, { integer: true });
  optionalNumber('baseDelay', options.baseDelay, 0, 900_000, { unit: 'ms' });
  optionalNumber('maxDelay', options.maxDelay, 0, 900_000, { unit: 'ms' });
  optionalFunction('random', options.random);
  return {
    maxAttempts: options.maxAttempts ?? DEADLINE_DEFAULTS.maxAttempts,
    baseDelay: options.baseDelay ?? DEADLINE_DEFAULTS.baseDelay,
    maxDelay: options.maxDelay ?? DEADLINE_DEFAULTS.maxDelay,
    random: options.random ?? Math.random,
  };
}

/** What `applyDeadline()` reads of a client: every AWS SDK v3 client has it. */
interface ClientLike {
  config: {
    requestHandler: RequestHandlerLike;
    retryStrategy?: unknown;
    maxAttempts?: unknown;
  };
  send(...args: unknown[]): unknown;
}

interface RequestHandlerLike {
  handle(request: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

const APPLIED = Symbol.for('cdk-resilience.runtime.deadline.applied');

/**
 * Binds an AWS SDK for JavaScript v3 client to the invocation's deadline.
 * Call it once per client, where the client is created (outside the handler),
 * before its first call. Every call the client makes in a `deadline.run()`:
 *
 * - is aborted at the deadline (its request is closed), and rejects with a
 *   `DeadlineExceededError`; none starts once the deadline has passed. An
 *   `abortSignal` you pass to `send()` still aborts it too;
 * - is retried with full jitter (`deadlineRetryStrategy(options)`), and only
 *   while a retry can still end before the deadline.
 *
 * Calls outside a `deadline.run()` have no deadline (only the retries). The
 * client's own request timeouts stay: a `requestTimeout` shorter than the
 * deadline ends a hung attempt early enough for a retry.
 *
 * Do not apply it to the clients that report a failure after the deadline
 * (the circuit breaker's DynamoDB client, the SQS client of a
 * `BatchDeferral`): their calls run in the margin, and would be refused. Their
 * default clients have short timeouts of their own.
 *
 * @example
 * const orders = applyDeadline(new DynamoDBClient({}));
 * exports.handler = async (event, context) =>
 *   withDeadline(context).run(() => orders.send(new GetItemCommand({ TableName: 'orders', Key: { id: { S: event.id } } })));
 *
 * @param client an AWS SDK v3 client (`DynamoDBClient`, `SQSClient`, ..., or a `DynamoDBDocumentClient`)
 * @returns the same client
 * @throws Error when `client` is not an AWS SDK v3 client, or an option is out of range or of the wrong type
 */
export function applyDeadline<C extends object>(client: C, options: DeadlineRetryOptions = {}): C {
  const candidate = client as unknown as Partial<ClientLike> | undefined;
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.send !== 'function'
    || typeof candidate.config?.requestHandler?.handle !== 'function') {
    throw new Error(`client must be an AWS SDK for JavaScript v3 client (an object with send() and config.requestHandler), got ${describeValue(client)}`
      + (candidate !== null && typeof candidate === 'object' && typeof candidate.send === 'function' ? ' without config.requestHandler.handle()' : ''));
  }
  const strategy = deadlineRetryStrategy(options);
  const config = candidate.config!;
  const handler = config.requestHandler;
  const original = (handler as unknown as Record<symbol, RequestHandlerLike | undefined>)[APPLIED] ?? handler;
  const handle = handleWithDeadline(original);
  // A proxy: the other methods of the handler (and a handler shared with other clients) stay as they are.
  config.requestHandler = new Proxy(original, {
    get(target, property) {
      if (property === APPLIED) return original;
      if (property === 'handle') return handle;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  // The AWS SDK's retry middleware reads these providers of the configuration on each call.
  config.retryStrategy = typeof config.retryStrategy === 'function' || config.retryStrategy === undefined
    ? async () => strategy
    : strategy;
  if (typeof config.maxAttempts === 'function') {
    const maxAttempts = options.maxAttempts ?? DEADLINE_DEFAULTS.maxAttempts;
    config.maxAttempts = async () => maxAttempts;
  }
  return client;
}

/** The request handler's `handle`, aborted at the current deadline. */
function handleWithDeadline(handler: RequestHandlerLike): RequestHandlerLike['handle'] {
  return async (request, options = {}) => {
    const deadline = currentDeadline();
    if (!deadline) return handler.handle(request, options);
    const own = options.abortSignal;
    if (deadline.signal.aborted) throw new DeadlineExceededError(deadline.margin);
    try {
      return await handler.handle(request, { ...options, abortSignal: own ? eitherSignal(own, deadline.signal) : deadline.signal });
    } catch (error) {
      if (deadline.signal.aborted && !own?.aborted) {
        throw new DeadlineExceededError(deadline.margin, { cause: error });
      }
      throw error;
    }
  };
}
