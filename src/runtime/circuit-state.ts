/**
 * The circuit's state machine as pure functions: which calls a circuit lets
 * through, and what each transition writes. No I/O and no clock (`now` is
 * given), so every rule can be tested without a server or a sleep.
 * `CircuitBreaker` reads and writes the circuits through `CircuitStore`.
 */

/** The states of a circuit. */
export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** A circuit, as its item in the `CircuitBreakerTable` holds it. Times are epoch milliseconds. */
export interface Circuit {
  /** `CLOSED`, `OPEN` or `HALF_OPEN`. */
  readonly state: CircuitState;
  /** Incremented on every transition: every transition is conditional on it. Counting a failure does not change it. */
  readonly version: number;
  /** The failures counted in the current window. */
  readonly failures: number;
  /** When the current window of failures started. */
  readonly windowStart: number;
  /** Until when an OPEN circuit refuses calls. */
  readonly openUntil: number;
  /** How many times the circuit opened since it last closed: each opening doubles the open timeout. */
  readonly consecutiveOpens: number;
  /** The successful probes since the circuit went HALF_OPEN. */
  readonly successes: number;
  /** Until when the current probe holds its claim (HALF_OPEN); 0 when no probe holds it. */
  readonly probeUntil: number;
}

/** A circuit that has no item yet: CLOSED, no failures. */
export const CLOSED_CIRCUIT: Circuit = {
  state: 'CLOSED', version: 0, failures: 0, windowStart: 0, openUntil: 0, consecutiveOpens: 0, successes: 0, probeUntil: 0,
};

/** The settings of the state machine, in milliseconds and counts (`circuitSettings` validates them). */
export interface CircuitSettings {
  /** Failures within `windowDuration` that open the circuit. */
  readonly failureThreshold: number;
  /** The window in which failures are counted. */
  readonly windowDuration: number;
  /** Successful probes in HALF_OPEN that close the circuit. */
  readonly successThreshold: number;
  /** How long the circuit stays OPEN the first time; doubled on each consecutive opening. */
  readonly openTimeout: number;
  /** The most the open timeout grows to. */
  readonly maxOpenTimeout: number;
  /** How long a probe holds its claim before another environment may probe. */
  readonly probeTimeout: number;
}

/**
 * The settings from the options of a `CircuitBreaker`, with their defaults.
 *
 * @throws Error naming the option, the value and the allowed range when one is out of range
 */
export function circuitSettings(options: Partial<CircuitSettings>): CircuitSettings {
  const failureThreshold = atLeastOne('failureThreshold', options.failureThreshold, 5);
  const successThreshold = atLeastOne('successThreshold', options.successThreshold, 2);
  const windowDuration = positive('windowDuration', options.windowDuration, 60_000);
  const openTimeout = positive('openTimeout', options.openTimeout, 10_000);
  const maxOpenTimeout = positive('maxOpenTimeout', options.maxOpenTimeout, Math.max(300_000, openTimeout));
  if (maxOpenTimeout < openTimeout) {
    throw new Error(`maxOpenTimeout must be at least openTimeout (${openTimeout} ms), got ${maxOpenTimeout} ms`);
  }
  const probeTimeout = positive('probeTimeout', options.probeTimeout, 30_000);
  return { failureThreshold, windowDuration, successThreshold, openTimeout, maxOpenTimeout, probeTimeout };
}

/**
 * What a call may do, given the circuit as read at `now`:
 * - `call`: the circuit is CLOSED;
 * - `refuse`: it is OPEN before `openUntil` (`retryAfter`), or HALF_OPEN while a probe holds its claim;
 * - `probe`: claim the probe with the transition `claim`, then call: the circuit is OPEN and its
 *   timeout is over, or HALF_OPEN and no probe holds the claim (released, or its environment died).
 */
export type Admission =
  | { readonly action: 'call' }
  | { readonly action: 'refuse'; readonly state: 'OPEN' | 'HALF_OPEN'; readonly retryAfter?: number }
  | { readonly action: 'probe'; readonly claim: 'probe-after-open' | 'probe-again' };

/** What a call may do with `circuit` at `now` (epoch ms). */
export function admit(circuit: Circuit, now: number): Admission {
  switch (circuit.state) {
    case 'CLOSED':
      return { action: 'call' };
    case 'OPEN':
      return now < circuit.openUntil
        ? { action: 'refuse', state: 'OPEN', retryAfter: circuit.openUntil }
        : { action: 'probe', claim: 'probe-after-open' };
    case 'HALF_OPEN':
      return now < circuit.probeUntil
        ? { action: 'refuse', state: 'HALF_OPEN' }
        : { action: 'probe', claim: 'probe-again' };
  }
}

/**
 * The transitions, each from one state:
 * - `open`: CLOSED -> OPEN, when the counted failures reach `failureThreshold`;
 * - `reopen`: HALF_OPEN -> OPEN, when a probe fails;
 * - `probe-after-open`: OPEN -> HALF_OPEN, an environment claims the probe once `openUntil` is past;
 * - `probe-again`: HALF_OPEN -> HALF_OPEN, an environment claims a probe that no one holds;
 * - `release-probe`: HALF_OPEN -> HALF_OPEN, a probe succeeded, more successes are needed;
 * - `close`: HALF_OPEN -> CLOSED, a probe succeeded and the successes reach `successThreshold`.
 */
export type TransitionKind = 'open' | 'reopen' | 'probe-after-open' | 'probe-again' | 'release-probe' | 'close';

/** The state each transition starts from. */
const FROM_STATE: Readonly<Record<TransitionKind, CircuitState>> = {
  'open': 'CLOSED',
  'reopen': 'HALF_OPEN',
  'probe-after-open': 'OPEN',
  'probe-again': 'HALF_OPEN',
  'release-probe': 'HALF_OPEN',
  'close': 'HALF_OPEN',
};

/**
 * The circuit after the transition `kind` from `from` at `now` (epoch ms): a
 * new version, and every field the transition sets. Pure: it writes nothing.
 *
 * - `open` / `reopen`: OPEN until `now + min(openTimeout × 2^consecutiveOpens, maxOpenTimeout)`,
 *   one more consecutive opening, no successes, no probe; the failures and their window stay;
 * - `probe-after-open`: HALF_OPEN, no successes yet, the probe claimed until `now + probeTimeout`;
 * - `probe-again`: the probe claimed until `now + probeTimeout`, the successes kept;
 * - `release-probe`: one more success, the probe released (`probeUntil` 0);
 * - `close`: CLOSED, everything back to 0 but the version, and a new window from `now`.
 *
 * @throws Error when `from` is not in the state the transition starts from
 */
export function nextCircuit(from: Circuit, kind: TransitionKind, now: number, settings: Pick<CircuitSettings, 'openTimeout' | 'maxOpenTimeout' | 'probeTimeout'>): Circuit {
  if (from.state !== FROM_STATE[kind]) {
    throw new Error(`the transition ${kind} starts from ${FROM_STATE[kind]}, got a circuit that is ${from.state}`);
  }
  const version = from.version + 1;
  switch (kind) {
    case 'open':
    case 'reopen': {
      const timeout = Math.min(settings.openTimeout * 2 ** from.consecutiveOpens, settings.maxOpenTimeout);
      return { ...from, state: 'OPEN', version, openUntil: now + timeout, consecutiveOpens: from.consecutiveOpens + 1, successes: 0, probeUntil: 0 };
    }
    case 'probe-after-open':
      return { ...from, state: 'HALF_OPEN', version, successes: 0, probeUntil: now + settings.probeTimeout };
    case 'probe-again':
      return { ...from, version, probeUntil: now + settings.probeTimeout };
    case 'release-probe':
      return { ...from, version, successes: from.successes + 1, probeUntil: 0 };
    case 'close':
      return { ...CLOSED_CIRCUIT, version, windowStart: now };
  }
}

/** The transition after a counted failure: `open` when the failures reach the threshold, else none. */
export function afterFailure(counted: Circuit, settings: Pick<CircuitSettings, 'failureThreshold'>): 'open' | undefined {
  return counted.failures >= settings.failureThreshold ? 'open' : undefined;
}

/** The transition after a successful probe: `close` when this success reaches the threshold, else `release-probe`. */
export function afterProbeSuccess(probe: Circuit, settings: Pick<CircuitSettings, 'successThreshold'>): 'close' | 'release-probe' {
  return probe.successes + 1 >= settings.successThreshold ? 'close' : 'release-probe';
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
