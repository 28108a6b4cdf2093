// The Lambda Node.js runtime provides the AWS SDK v3: it is deliberately not a dependency of this package.
// eslint-disable-next-line import/no-extraneous-dependencies
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
// eslint-disable-next-line import/no-extraneous-dependencies
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CIRCUIT_BREAKER_CLIENT_CONFIG } from './circuit-breaker-client';
import { CIRCUIT_BREAKER_METRICS_NAMESPACE, CIRCUIT_BREAKER_TABLE_ENV } from './contract';
import { consoleLogger, RuntimeLogger } from './logger';

/** The states of a circuit. */
export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/**
 * Options of a `CircuitBreaker`. Durations are in milliseconds.
 *
 * @typeParam TFallback - what `fallback` returns; every `fire<T>()` of the breaker must accept it as a `T`.
 */
export interface CircuitBreakerOptions<TFallback = never> {
  /** The circuit's id: breakers with the same id share one circuit. Default: the function name (`AWS_LAMBDA_FUNCTION_NAME`). */
  readonly circuitId?: string;
  /** The DynamoDB table of the `CircuitBreakerTable`. Default: `CIRCUIT_BREAKER_TABLE`. */
  readonly tableName?: string;
  /** Failures within `windowDuration` that open the circuit. Default 5; at least 1. */
  readonly failureThreshold?: number;
  /** The window in which failures are counted, in ms. Default 60,000. */
  readonly windowDuration?: number;
  /** Successful probes in HALF_OPEN that close the circuit. Default 2; at least 1. */
  readonly successThreshold?: number;
  /** How long the circuit stays OPEN before a probe, in ms; doubled on each consecutive opening. Default 10,000. */
  readonly openTimeout?: number;
  /** The most `openTimeout` grows to, in ms. Default 300,000 (or `openTimeout`, if longer). */
  readonly maxOpenTimeout?: number;
  /** How long a probe holds its claim before another environment may probe (its environment may have died), in ms. Default 30,000. */
  readonly probeTimeout?: number;
  /** How long an environment trusts the state it read, in ms. Default 1,000. */
  readonly stateCacheTtl?: number;
  /** When DynamoDB fails: `true` lets calls through, `false` refuses them. Default true. */
  readonly failOpen?: boolean;
  /**
   * What a refused call returns instead of throwing `CircuitOpenError`. Its
   * result must be a result of every `fire<T>()` of this breaker (a `T`):
   * `fire<number>()` on a breaker whose fallback returns a string does not compile.
   */
  readonly fallback?: (error: CircuitOpenError) => TFallback | Promise<TFallback>;
  /** Which errors count as failures of the downstream. Default: every error. */
  readonly isFailure?: (error: unknown) => boolean;
  /**
   * The DynamoDB client. Default: a new `DynamoDBClient` with
   * `CIRCUIT_BREAKER_CLIENT_CONFIG` (2 attempts, 1 s per request). A client
   * you give is used as it is: give it the same limits, or a hung DynamoDB
   * holds each call for the SDK's defaults (3 attempts, no request timeout).
   */
  readonly client?: DynamoDBClient;
  /**
   * Where the breaker logs DynamoDB failures (for example the `Logger` of Powertools for AWS Lambda).
   * Default: one JSON line on the console. The transition metrics are
   * CloudWatch embedded metric format lines, always written to stdout.
   */
  readonly logger?: RuntimeLogger;
}

/**
 * Thrown when the circuit refuses a call and there is no fallback (and given to the fallback).
 * `retryAfter` is when an OPEN circuit lets a probe through; it is absent
 * while another environment probes (HALF_OPEN) and when DynamoDB failed with `failOpen: false`.
 */
export class CircuitOpenError extends Error {
  constructor(
    /** The circuit that refused the call. */
    public readonly circuitId: string,
    /** Its state: `OPEN`, or `HALF_OPEN` while another environment probes. */
    public readonly state: CircuitState,
    /** When an OPEN circuit lets a probe through; absent while HALF_OPEN and when DynamoDB failed. */
    public readonly retryAfter?: Date,
  ) {
    super(`circuit ${circuitId} is ${state}${retryAfter ? `: retry after ${retryAfter.toISOString()}` : ''}`);
    this.name = 'CircuitOpenError';
  }
}

/** The circuit's record in DynamoDB; a missing record is a CLOSED circuit with no failures. */
interface Circuit {
  readonly state: CircuitState;
  /** Incremented on every transition: every transition is conditional on it. */
  readonly version: number;
  readonly failures: number;
  readonly windowStart: number;
  readonly openUntil: number;
  readonly consecutiveOpens: number;
  readonly successes: number;
  /** Until when the current probe holds its claim (HALF_OPEN). */
  readonly probeUntil: number;
}

const CLOSED_EMPTY: Circuit = { state: 'CLOSED', version: 0, failures: 0, windowStart: 0, openUntil: 0, consecutiveOpens: 0, successes: 0, probeUntil: 0 };
/** A record not written for this long expires (DynamoDB TTL): abandoned circuits disappear. */
const RECORD_TTL_SECONDS = 86_400;
export { CIRCUIT_BREAKER_METRICS_NAMESPACE, CIRCUIT_BREAKER_CLIENT_CONFIG };

/**
 * A circuit breaker whose state is shared by every Lambda environment through
 * a `CircuitBreakerTable`.
 *
 * - every transition is a conditional write on the circuit's version: when
 *   environments race, exactly one transition happens;
 * - one half-open probe at a time across all environments, claimed with a
 *   conditional write;
 * - the healthy path writes nothing and reads at most once per `stateCacheTtl`;
 *   failures are counted atomically;
 * - when DynamoDB fails, it fails open (or closed), logs one line, and never
 *   throws DynamoDB's error to the caller.
 */
export class CircuitBreaker<TFallback = never> {
  /** The circuit this breaker reads and writes: breakers with the same id share it. */
  public readonly circuitId: string;
  private readonly tableName: string;
  private readonly failureThreshold: number;
  private readonly windowDuration: number;
  private readonly successThreshold: number;
  private readonly openTimeout: number;
  private readonly maxOpenTimeout: number;
  private readonly probeTimeout: number;
  private readonly stateCacheTtl: number;
  private readonly failOpen: boolean;
  private readonly fallback?: (error: CircuitOpenError) => TFallback | Promise<TFallback>;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly client: DynamoDBClient;
  private readonly logger: RuntimeLogger;

  private cached?: { circuit: Circuit; until: number };
  /** After DynamoDB failed, the breaker does not ask it again before this time. */
  private unavailableUntil = 0;
  /** The read in flight, shared by the calls that need it. */
  private reading?: Promise<Circuit | undefined>;

  /**
   * @throws Error when an option is out of range, or when neither `tableName` nor `CIRCUIT_BREAKER_TABLE` names the table
   */
  constructor(options: CircuitBreakerOptions<TFallback> = {}) {
    this.circuitId = options.circuitId ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? '';
    if (typeof this.circuitId !== 'string' || this.circuitId.length === 0) {
      throw new Error(`circuitId must be a non-empty string (default: AWS_LAMBDA_FUNCTION_NAME), got ${JSON.stringify(options.circuitId ?? process.env.AWS_LAMBDA_FUNCTION_NAME)}`);
    }
    this.tableName = options.tableName ?? process.env[CIRCUIT_BREAKER_TABLE_ENV] ?? '';
    if (this.tableName.length === 0) {
      throw new Error('tableName must be given or CIRCUIT_BREAKER_TABLE set (CircuitBreakerTable.attachTo(fn) sets it), got nothing');
    }
    this.failureThreshold = atLeastOne('failureThreshold', options.failureThreshold, 5);
    this.successThreshold = atLeastOne('successThreshold', options.successThreshold, 2);
    this.windowDuration = positive('windowDuration', options.windowDuration, 60_000);
    this.openTimeout = positive('openTimeout', options.openTimeout, 10_000);
    this.maxOpenTimeout = positive('maxOpenTimeout', options.maxOpenTimeout, Math.max(300_000, this.openTimeout));
    if (this.maxOpenTimeout < this.openTimeout) {
      throw new Error(`maxOpenTimeout must be at least openTimeout (${this.openTimeout} ms), got ${this.maxOpenTimeout} ms`);
    }
    this.probeTimeout = positive('probeTimeout', options.probeTimeout, 30_000);
    this.stateCacheTtl = nonNegative('stateCacheTtl', options.stateCacheTtl, 1_000);
    this.failOpen = options.failOpen ?? true;
    this.fallback = options.fallback;
    this.isFailure = options.isFailure ?? (() => true);
    // A hung DynamoDB must not hold the call: fail open (or closed) within a second.
    this.client = options.client ?? new DynamoDBClient(CIRCUIT_BREAKER_CLIENT_CONFIG);
    this.logger = options.logger ?? consoleLogger;
  }

  /**
   * Calls `operation` unless the circuit refuses it; then returns the
   * fallback's result or throws `CircuitOpenError`. The operation's own
   * errors are thrown as they are, and counted when `isFailure` says so.
   *
   * `T` must accept what the breaker's `fallback` returns: `fire<number>()`
   * on a breaker whose fallback returns a string is a compile error.
   *
   * @throws CircuitOpenError when the circuit refuses the call and there is no fallback
   */
  public async fire<T>(this: CircuitBreaker<NoInfer<T>>, operation: () => Promise<T> | T): Promise<T> {
    const now = Date.now();
    const circuit = await this.read(now);
    if (circuit === undefined) {
      // DynamoDB failed: fail open (call) or closed (refuse), never throw its error.
      return this.failOpen ? operation() : this.refuse('OPEN');
    }
    if (circuit.state === 'CLOSED') {
      return this.callClosed(operation);
    }
    if (circuit.state === 'OPEN' && now < circuit.openUntil) {
      return this.refuse('OPEN', new Date(circuit.openUntil));
    }
    if (circuit.state === 'HALF_OPEN' && now < circuit.probeUntil) {
      return this.refuse('HALF_OPEN');
    }
    // OPEN and its timeout is over, or HALF_OPEN whose probe never reported: claim the probe.
    const probe = await this.transition(circuit, circuit.state === 'OPEN' ? 'probe-after-open' : 'probe-again', now);
    if (probe === 'lost') {
      // Another environment claimed the probe first.
      return this.refuse('HALF_OPEN');
    }
    if (probe === 'unavailable') {
      return this.failOpen ? operation() : this.refuse(circuit.state);
    }
    return this.callProbe(operation, probe);
  }

  /** The circuit's state as this environment last read it (reads if the cache is stale). */
  public async state(): Promise<CircuitState | undefined> {
    return (await this.read(Date.now()))?.state;
  }

  private async callClosed<T>(operation: () => Promise<T> | T): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (this.isFailure(error)) {
        await this.recordFailure();
      }
      throw error;
    }
  }

  private async callProbe<T>(operation: () => Promise<T> | T, probe: Circuit): Promise<T> {
    let result: T;
    try {
      result = await operation();
    } catch (error) {
      if (this.isFailure(error)) {
        await this.transition(probe, 'reopen', Date.now());
      } else {
        await this.probeSucceeded(probe);
      }
      throw error;
    }
    await this.probeSucceeded(probe);
    return result;
  }

  private async probeSucceeded(probe: Circuit): Promise<void> {
    await this.transition(probe, probe.successes + 1 >= this.successThreshold ? 'close' : 'release-probe', Date.now());
  }

  private async refuse<T>(state: CircuitState, retryAfter?: Date): Promise<T> {
    const error = new CircuitOpenError(this.circuitId, state, retryAfter);
    if (this.fallback) {
      // fire() takes only breakers whose fallback returns a T.
      return await this.fallback(error) as unknown as T;
    }
    throw error;
  }

  /** Reads the circuit, from the cache while it is fresh; `undefined` when DynamoDB failed. */
  private async read(now: number): Promise<Circuit | undefined> {
    if (this.cached && now < this.cached.until) {
      return this.cached.circuit;
    }
    if (now < this.unavailableUntil) {
      return undefined;
    }
    // Concurrent calls in one environment share one read.
    this.reading ??= this.fetch(now).finally(() => { this.reading = undefined; });
    return this.reading;
  }

  private async fetch(now: number): Promise<Circuit | undefined> {
    try {
      const { Item } = await this.client.send(new GetItemCommand({
        TableName: this.tableName,
        Key: { id: { S: this.circuitId } },
        ConsistentRead: true,
      }));
      return this.remember(Item ? fromItem(Item) : CLOSED_EMPTY, now);
    } catch (error) {
      this.logDynamoDbError('GetItem', error);
      this.unavailableUntil = now + Math.max(this.stateCacheTtl, 1);
      return undefined;
    }
  }

  private remember(circuit: Circuit, now: number): Circuit {
    // An OPEN circuit cannot change before its timeout ends: no read is needed until then.
    const until = circuit.state === 'OPEN' ? Math.max(circuit.openUntil, now + this.stateCacheTtl) : now + this.stateCacheTtl;
    this.cached = { circuit, until };
    return circuit;
  }

  /**
   * Counts a failure atomically in the current window (or starts a new
   * window), and opens the circuit when the count reaches the threshold.
   */
  private async recordFailure(): Promise<void> {
    const now = Date.now();
    const floor = now - this.windowDuration;
    const key = { id: { S: this.circuitId } };
    const names = { '#state': 'state' };
    try {
      // Two conditional writes race-free between them: add to the current window (creating the record
      // if there is none), or start a new window.
      // Each fails only when the other applies or the circuit left CLOSED; after a round in which both
      // failed, read the circuit: if it left CLOSED, remember that (later calls are refused without a request).
      for (let round = 0; round < 2; round++) {
        if (round > 0) {
          this.cached = undefined;
          const circuit = await this.fetch(Date.now());
          if (circuit === undefined || circuit.state !== 'CLOSED') return;
        }
        try {
          const { Attributes } = await this.client.send(new UpdateItemCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'ADD failures :one SET windowStart = if_not_exists(windowStart, :now), #state = if_not_exists(#state, :closed), '
              + 'version = if_not_exists(version, :zero), consecutiveOpens = if_not_exists(consecutiveOpens, :zero), expiresAt = :ttl',
            ConditionExpression: 'attribute_not_exists(id) OR (#state = :closed AND windowStart > :floor)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':one': n(1), ':zero': n(0), ':now': n(now), ':closed': { S: 'CLOSED' }, ':floor': n(floor), ':ttl': n(ttl(now)) },
            ReturnValues: 'ALL_NEW',
          }));
          return await this.openIfOverThreshold(fromItem(Attributes!), now);
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
        try {
          const { Attributes } = await this.client.send(new UpdateItemCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET failures = :one, windowStart = :now, expiresAt = :ttl',
            ConditionExpression: '#state = :closed AND windowStart <= :floor',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':one': n(1), ':now': n(now), ':closed': { S: 'CLOSED' }, ':floor': n(floor), ':ttl': n(ttl(now)) },
            ReturnValues: 'ALL_NEW',
          }));
          return await this.openIfOverThreshold(fromItem(Attributes!), now);
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
      // Still racing with other environments after two rounds: this failure is not counted; read afresh next time.
      this.cached = undefined;
    } catch (error) {
      this.logDynamoDbError('UpdateItem', error);
    }
  }

  private async openIfOverThreshold(circuit: Circuit, now: number): Promise<void> {
    this.remember(circuit, now);
    if (circuit.failures >= this.failureThreshold) {
      await this.transition(circuit, 'open', now);
    }
  }

  /**
   * One transition, written only if the circuit is still at `from`'s version:
   * returns the new circuit, `'lost'` when another environment moved first,
   * or `'unavailable'` when DynamoDB failed.
   */
  private async transition(from: Circuit, kind: TransitionKind, now: number): Promise<Circuit | 'lost' | 'unavailable'> {
    const to = this.next(from, kind, now);
    const values: Record<string, AttributeValue> = {
      ':state': { S: to.state },
      ':version': n(to.version),
      ':expected': n(from.version),
      ':failures': n(to.failures),
      ':windowStart': n(to.windowStart),
      ':openUntil': n(to.openUntil),
      ':consecutiveOpens': n(to.consecutiveOpens),
      ':successes': n(to.successes),
      ':probeUntil': n(to.probeUntil),
      ':ttl': n(ttl(now)),
    };
    try {
      await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { id: { S: this.circuitId } },
        UpdateExpression: 'SET #state = :state, version = :version, failures = :failures, windowStart = :windowStart, openUntil = :openUntil, '
          + 'consecutiveOpens = :consecutiveOpens, successes = :successes, probeUntil = :probeUntil, expiresAt = :ttl',
        ConditionExpression: from.version === 0
          ? 'attribute_not_exists(version) OR version = :expected'
          : 'version = :expected',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: values,
      }));
    } catch (error) {
      this.cached = undefined;
      if (error instanceof ConditionalCheckFailedException) {
        return 'lost';
      }
      this.logDynamoDbError('UpdateItem', error);
      return 'unavailable';
    }
    this.remember(to, now);
    if (from.state !== to.state) {
      this.emitTransition(from.state, to.state, now);
    }
    return to;
  }

  private next(from: Circuit, kind: TransitionKind, now: number): Circuit {
    const version = from.version + 1;
    switch (kind) {
      case 'open':
      case 'reopen': {
        const timeout = Math.min(this.openTimeout * 2 ** from.consecutiveOpens, this.maxOpenTimeout);
        return { ...from, state: 'OPEN', version, openUntil: now + timeout, consecutiveOpens: from.consecutiveOpens + 1, successes: 0, probeUntil: 0 };
      }
      case 'probe-after-open':
        return { ...from, state: 'HALF_OPEN', version, successes: 0, probeUntil: now + this.probeTimeout };
      case 'probe-again':
        return { ...from, version, probeUntil: now + this.probeTimeout };
      case 'release-probe':
        return { ...from, version, successes: from.successes + 1, probeUntil: 0 };
      case 'close':
        return { ...CLOSED_EMPTY, version, windowStart: now };
    }
  }

  /** One log line in CloudWatch embedded metric format: the metric costs no API call. */
  private emitTransition(from: CircuitState, to: CircuitState, now: number): void {
    const metric = to === 'OPEN' ? 'CircuitOpened' : to === 'CLOSED' ? 'CircuitClosed' : 'CircuitHalfOpened';
    console.log(JSON.stringify({
      _aws: {
        Timestamp: now,
        CloudWatchMetrics: [{
          Namespace: CIRCUIT_BREAKER_METRICS_NAMESPACE,
          Dimensions: [['TableName'], ['TableName', 'CircuitId']],
          Metrics: [{ Name: metric, Unit: 'Count' }],
        }],
      },
      TableName: this.tableName,
      CircuitId: this.circuitId,
      [metric]: 1,
      message: `circuit ${this.circuitId}: ${from} -> ${to}`,
    }));
  }

  private logDynamoDbError(operation: string, error: unknown): void {
    const name = (error as Error)?.name ?? 'Error';
    this.logger.error(`circuit ${this.circuitId}: DynamoDB ${operation} failed (${name}); failing ${this.failOpen ? 'open: calls go through' : 'closed: calls are refused'}`, {
      error: (error as Error)?.message ?? String(error),
    });
  }
}

type TransitionKind = 'open' | 'reopen' | 'probe-after-open' | 'probe-again' | 'release-probe' | 'close';

function fromItem(item: Record<string, AttributeValue>): Circuit {
  const num = (name: keyof Circuit) => Number(item[name]?.N ?? 0);
  return {
    state: (item.state?.S as CircuitState | undefined) ?? 'CLOSED',
    version: num('version'),
    failures: num('failures'),
    windowStart: num('windowStart'),
    openUntil: num('openUntil'),
    consecutiveOpens: num('consecutiveOpens'),
    successes: num('successes'),
    probeUntil: num('probeUntil'),
  };
}

function n(value: number): AttributeValue {
  return { N: String(value) };
}

function ttl(now: number): number {
  return Math.floor(now / 1000) + RECORD_TTL_SECONDS;
}

function atLeastOne(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) {
    throw new Error(`${name} must be an integer of at least 1, got ${value}`);
  }
  return v;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) {
    throw new Error(`${name} must be a positive number of milliseconds, got ${value}`);
  }
  return v;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) {
    throw new Error(`${name} must be zero or a positive number of milliseconds, got ${value}`);
  }
  return v;
}
