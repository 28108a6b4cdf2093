// The Lambda Node.js runtime provides the AWS SDK v3: it is deliberately not a dependency of this package.
// eslint-disable-next-line import/no-extraneous-dependencies
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CIRCUIT_BREAKER_CLIENT_CONFIG } from './circuit-breaker-client';
import { circuitChangeLine } from './circuit-metrics';
import { admit, afterFailure, afterProbeSuccess, Circuit, CircuitSettings, circuitSettings, CircuitState, nextCircuit, TransitionKind } from './circuit-state';
import { CircuitStore } from './circuit-store';
import { CIRCUIT_BREAKER_METRICS_NAMESPACE, CIRCUIT_BREAKER_TABLE_ENV } from './contract';
import { consoleLogger, RuntimeLogger } from './logger';
import { optionalBoolean, optionalFunction, optionalObjectWith, optionalString, optionsObject, requireFunction } from './validate';

export type { CircuitState };

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
  private readonly settings: CircuitSettings;
  private readonly stateCacheTtl: number;
  private readonly failOpen: boolean;
  private readonly fallback?: (error: CircuitOpenError) => TFallback | Promise<TFallback>;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly store: CircuitStore;
  private readonly logger: RuntimeLogger;

  private cached?: { circuit: Circuit; until: number };
  /** After DynamoDB failed, the breaker does not ask it again before this time. */
  private unavailableUntil = 0;
  /** The read in flight, shared by the calls that need it. */
  private reading?: Promise<Circuit | undefined>;

  /**
   * @throws Error when an option is out of range or of the wrong type (`failOpen: 'false'`, a `fallback` that is
   *   not a function, ...), or when neither `tableName` nor `CIRCUIT_BREAKER_TABLE` names the table
   */
  constructor(options: CircuitBreakerOptions<TFallback> = {}) {
    // JavaScript handlers get no types: every option is checked here, where a mistake is cheap to see.
    options = optionsObject('options', options);
    optionalString('tableName', options.tableName);
    optionalBoolean('failOpen', options.failOpen);
    optionalFunction('fallback', options.fallback);
    optionalFunction('isFailure', options.isFailure);
    optionalObjectWith('client', options.client, ['send'], 'a DynamoDBClient of the AWS SDK v3');
    optionalObjectWith('logger', options.logger, ['info', 'warn', 'error'], 'a logger');
    this.circuitId = options.circuitId ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? '';
    if (typeof this.circuitId !== 'string' || this.circuitId.length === 0) {
      throw new Error(`circuitId must be a non-empty string (default: AWS_LAMBDA_FUNCTION_NAME), got ${JSON.stringify(options.circuitId ?? process.env.AWS_LAMBDA_FUNCTION_NAME)}`);
    }
    this.tableName = options.tableName ?? process.env[CIRCUIT_BREAKER_TABLE_ENV] ?? '';
    if (this.tableName.length === 0) {
      throw new Error(`tableName must be given or ${CIRCUIT_BREAKER_TABLE_ENV} set (CircuitBreakerTable.attachTo(fn) sets it), got nothing`);
    }
    this.settings = circuitSettings(options);
    this.stateCacheTtl = nonNegative('stateCacheTtl', options.stateCacheTtl, 1_000);
    this.failOpen = options.failOpen ?? true;
    this.fallback = options.fallback;
    this.isFailure = options.isFailure ?? (() => true);
    // A hung DynamoDB must not hold the call: fail open (or closed) within a second.
    this.store = new CircuitStore(options.client ?? new DynamoDBClient(CIRCUIT_BREAKER_CLIENT_CONFIG), this.tableName, this.circuitId);
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
   * @throws Error when `operation` is not a function (not counted as a failure)
   */
  public async fire<T>(this: CircuitBreaker<NoInfer<T>>, operation: () => Promise<T> | T): Promise<T> {
    // Not a failure of the downstream: a call without an operation is refused before the circuit counts it.
    requireFunction('operation', operation);
    const now = Date.now();
    const circuit = await this.read(now);
    if (circuit === undefined) {
      // DynamoDB failed: fail open (call) or closed (refuse), never throw its error.
      return this.failOpen ? operation() : this.refuse('OPEN');
    }
    const admission = admit(circuit, now);
    if (admission.action === 'call') {
      return this.callClosed(operation);
    }
    if (admission.action === 'refuse') {
      return this.refuse(admission.state, admission.retryAfter === undefined ? undefined : new Date(admission.retryAfter));
    }
    // OPEN and its timeout is over, or HALF_OPEN and no probe holds the claim: claim the probe.
    const probe = await this.transition(circuit, admission.claim, now);
    if (probe === 'lost') {
      // Another environment claimed the probe first.
      return this.refuse('HALF_OPEN');
    }
    if (probe === 'unavailable') {
      return this.failOpen ? operation() : this.refuse(circuit.state);
    }
    return this.callProbe(operation, probe);
  }

  /**
   * Whether the breaker has a `fallback`: then it never throws `CircuitOpenError`, and answers refused
   * calls with the fallback's result (so `BatchDeferral` does not accept it).
   */
  public get hasFallback(): boolean {
    return this.fallback !== undefined;
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
    await this.transition(probe, afterProbeSuccess(probe, this.settings), Date.now());
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
      return this.remember(await this.store.get(), now);
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
   * Counts a failure atomically, and opens the circuit when the count reaches
   * the threshold.
   *
   * Two conditional writes count it: `addFailure` (to the current window, or
   * to a new item) and `startWindow` (the window is over). Their conditions
   * exclude each other, so at most one applies; each fails only because
   * another environment changed the circuit in between: it started the new
   * window (then `addFailure` applies in the next round) or the circuit left
   * CLOSED (then there is nothing to count, and later calls are refused
   * without a request).
   */
  private async recordFailure(): Promise<void> {
    const now = Date.now();
    const { windowDuration } = this.settings;
    try {
      for (let round = 0; round < 2; round++) {
        if (round > 0 && !(await this.stillClosed())) return;
        const counted = await this.store.addFailure(now, windowDuration) ?? await this.store.startWindow(now, windowDuration);
        if (counted !== undefined) {
          this.remember(counted, now);
          const transition = afterFailure(counted, this.settings);
          if (transition) await this.transition(counted, transition, now);
          return;
        }
      }
      // Still racing with other environments after two rounds: this failure is not counted; read afresh next time.
      this.cached = undefined;
    } catch (error) {
      this.logDynamoDbError('UpdateItem', error);
    }
  }

  /** Reads the circuit afresh after both writes of a round failed: whether there is still a failure to count. */
  private async stillClosed(): Promise<boolean> {
    this.cached = undefined;
    const circuit = await this.fetch(Date.now());
    return circuit?.state === 'CLOSED';
  }

  /**
   * One transition, written only if the circuit is still at `from`'s version:
   * returns the new circuit, `'lost'` when another environment moved first,
   * or `'unavailable'` when DynamoDB failed.
   */
  private async transition(from: Circuit, kind: TransitionKind, now: number): Promise<Circuit | 'lost' | 'unavailable'> {
    const to = nextCircuit(from, kind, now, this.settings);
    try {
      if (!await this.store.transition(from, to, now)) {
        this.cached = undefined;
        return 'lost';
      }
    } catch (error) {
      this.cached = undefined;
      this.logDynamoDbError('UpdateItem', error);
      return 'unavailable';
    }
    this.remember(to, now);
    if (from.state !== to.state) {
      // One line in CloudWatch embedded metric format: the metric costs no API call.
      console.log(circuitChangeLine({ tableName: this.tableName, circuitId: this.circuitId, from: from.state, to: to.state, now }));
    }
    return to;
  }

  private logDynamoDbError(operation: string, error: unknown): void {
    const name = (error as Error)?.name ?? 'Error';
    this.logger.error(`circuit ${this.circuitId}: DynamoDB ${operation} failed (${name}); failing ${this.failOpen ? 'open: calls go through' : 'closed: calls are refused'}`, {
      error: (error as Error)?.message ?? String(error),
    });
  }
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) {
    throw new Error(`${name} must be zero or a positive number of milliseconds, got ${value}`);
  }
  return v;
}
