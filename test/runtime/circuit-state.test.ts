/**
 * Unit tests of the circuit's state machine: pure functions, no server, no
 * clock (`now` is given), so every rule is checked at the millisecond.
 */
import {
  admit, afterFailure, afterProbeSuccess, Circuit, circuitSettings, CLOSED_CIRCUIT, nextCircuit, TransitionKind,
} from '../../src/runtime/circuit-state';

const NOW = 1_700_000_000_000;
const settings = circuitSettings({ failureThreshold: 3, successThreshold: 2, openTimeout: 1_000, maxOpenTimeout: 5_000, probeTimeout: 300 });

/** A circuit that is `CLOSED_CIRCUIT` but for `fields`. */
function circuit(fields: Partial<Circuit>): Circuit {
  return { ...CLOSED_CIRCUIT, ...fields };
}

describe('circuit state machine', () => {
  describe('circuitSettings', () => {
    test('defaults: 5 failures in 60 s, 2 successes, 10 s open up to 300 s, 30 s probe', () => {
      expect(circuitSettings({})).toEqual({
        failureThreshold: 5, windowDuration: 60_000, successThreshold: 2, openTimeout: 10_000, maxOpenTimeout: 300_000, probeTimeout: 30_000,
      });
    });

    test('maxOpenTimeout defaults to openTimeout when that is longer than 300 s', () => {
      expect(circuitSettings({ openTimeout: 600_000 }).maxOpenTimeout).toBe(600_000);
    });

    test.each([
      ['failureThreshold is 0', { failureThreshold: 0 }, /failureThreshold must be an integer of at least 1, got 0/],
      ['successThreshold is 2.5', { successThreshold: 2.5 }, /successThreshold must be an integer of at least 1, got 2.5/],
      ['windowDuration is NaN', { windowDuration: Number.NaN }, /windowDuration must be a positive number of milliseconds, got NaN/],
      ['openTimeout is -1', { openTimeout: -1 }, /openTimeout must be a positive number of milliseconds, got -1/],
      ['maxOpenTimeout is below openTimeout', { openTimeout: 2_000, maxOpenTimeout: 1_000 }, /maxOpenTimeout must be at least openTimeout \(2000 ms\), got 1000 ms/],
      ['probeTimeout is Infinity', { probeTimeout: Number.POSITIVE_INFINITY }, /probeTimeout must be a positive number of milliseconds, got Infinity/],
    ])('fails if %s', (_, options, message) => {
      expect(() => circuitSettings(options)).toThrow(message);
    });
  });

  describe('admit', () => {
    test('CLOSED: every call runs', () => {
      expect(admit(CLOSED_CIRCUIT, NOW)).toEqual({ action: 'call' });
      expect(admit(circuit({ failures: 99, windowStart: NOW }), NOW)).toEqual({ action: 'call' });
    });

    test('OPEN: refused until openUntil, with when to retry; from openUntil on, a call claims the probe', () => {
      const open = circuit({ state: 'OPEN', version: 1, openUntil: NOW + 1_000 });
      expect(admit(open, NOW)).toEqual({ action: 'refuse', state: 'OPEN', retryAfter: NOW + 1_000 });
      expect(admit(open, NOW + 999)).toEqual({ action: 'refuse', state: 'OPEN', retryAfter: NOW + 1_000 });
      expect(admit(open, NOW + 1_000)).toEqual({ action: 'probe', claim: 'probe-after-open' });
    });

    test('HALF_OPEN: refused while a probe holds its claim, without a time; then a call claims the probe again', () => {
      const probing = circuit({ state: 'HALF_OPEN', version: 2, probeUntil: NOW + 300 });
      expect(admit(probing, NOW + 299)).toEqual({ action: 'refuse', state: 'HALF_OPEN' });
      expect(admit(probing, NOW + 300)).toEqual({ action: 'probe', claim: 'probe-again' });
      // a released probe (probeUntil 0) is free at once
      expect(admit(circuit({ state: 'HALF_OPEN', version: 3, successes: 1 }), NOW)).toEqual({ action: 'probe', claim: 'probe-again' });
    });
  });

  describe('nextCircuit', () => {
    test('open: OPEN for openTimeout, a new version, the failures and their window kept', () => {
      // GIVEN
      const counted = circuit({ version: 4, failures: 3, windowStart: NOW - 500 });
      // WHEN
      const opened = nextCircuit(counted, 'open', NOW, settings);
      // THEN
      expect(opened).toEqual({
        state: 'OPEN', version: 5, failures: 3, windowStart: NOW - 500, openUntil: NOW + 1_000, consecutiveOpens: 1, successes: 0, probeUntil: 0,
      });
      expect(counted).toEqual(circuit({ version: 4, failures: 3, windowStart: NOW - 500 }));
    });

    test('reopen: the open timeout doubles with each consecutive opening, up to maxOpenTimeout', () => {
      // GIVEN a probe of a circuit that opened `consecutiveOpens` times
      const probe = (consecutiveOpens: number) => circuit({ state: 'HALF_OPEN', version: 7, consecutiveOpens, successes: 1, probeUntil: NOW + 300 });
      // WHEN / THEN after 1, 2, 3, 4 openings: 2 s, 4 s, then 5 s (not 8 s) and 5 s (not 16 s)
      expect([1, 2, 3, 4].map(opens => nextCircuit(probe(opens), 'reopen', NOW, settings).openUntil - NOW)).toEqual([2_000, 4_000, 5_000, 5_000]);
      expect(nextCircuit(probe(2), 'reopen', NOW, settings)).toEqual(circuit({
        state: 'OPEN', version: 8, openUntil: NOW + 4_000, consecutiveOpens: 3, successes: 0, probeUntil: 0,
      }));
    });

    test('probe-after-open: HALF_OPEN, no successes yet, the probe claimed for probeTimeout', () => {
      const open = circuit({ state: 'OPEN', version: 1, failures: 3, openUntil: NOW - 1, consecutiveOpens: 1, successes: 1 });
      expect(nextCircuit(open, 'probe-after-open', NOW, settings)).toEqual({
        ...open, state: 'HALF_OPEN', version: 2, successes: 0, probeUntil: NOW + 300,
      });
    });

    test('probe-again: a new claim for probeTimeout; the successes so far stay', () => {
      const abandoned = circuit({ state: 'HALF_OPEN', version: 3, successes: 1, probeUntil: NOW - 1 });
      expect(nextCircuit(abandoned, 'probe-again', NOW, settings)).toEqual({ ...abandoned, version: 4, probeUntil: NOW + 300 });
    });

    test('release-probe: one more success, the claim released', () => {
      const probe = circuit({ state: 'HALF_OPEN', version: 2, consecutiveOpens: 2, probeUntil: NOW + 300 });
      expect(nextCircuit(probe, 'release-probe', NOW, settings)).toEqual({ ...probe, version: 3, successes: 1, probeUntil: 0 });
    });

    test('close: CLOSED with every number back to 0 but the version, and a new window from now', () => {
      const probe = circuit({ state: 'HALF_OPEN', version: 9, failures: 3, windowStart: 1, openUntil: 2, consecutiveOpens: 3, successes: 1, probeUntil: NOW + 300 });
      expect(nextCircuit(probe, 'close', NOW, settings)).toEqual({ ...CLOSED_CIRCUIT, version: 10, windowStart: NOW });
    });

    test.each([
      ['open', 'CLOSED', 'OPEN'],
      ['reopen', 'HALF_OPEN', 'CLOSED'],
      ['probe-after-open', 'OPEN', 'HALF_OPEN'],
      ['probe-again', 'HALF_OPEN', 'OPEN'],
      ['release-probe', 'HALF_OPEN', 'CLOSED'],
      ['close', 'HALF_OPEN', 'OPEN'],
    ] as Array<[TransitionKind, Circuit['state'], Circuit['state']]>)('fails if %s starts from another state than %s', (kind, from, other) => {
      expect(() => nextCircuit(circuit({ state: from }), kind, NOW, settings)).not.toThrow();
      expect(() => nextCircuit(circuit({ state: other }), kind, NOW, settings))
        .toThrow(`the transition ${kind} starts from ${from}, got a circuit that is ${other}`);
    });
  });

  test('afterFailure: opens when the counted failures reach failureThreshold', () => {
    expect(afterFailure(circuit({ failures: 2 }), settings)).toBeUndefined();
    expect(afterFailure(circuit({ failures: 3 }), settings)).toBe('open');
    expect(afterFailure(circuit({ failures: 4 }), settings)).toBe('open');
  });

  test('afterProbeSuccess: closes when this success reaches successThreshold, else releases the probe', () => {
    expect(afterProbeSuccess(circuit({ state: 'HALF_OPEN', successes: 0 }), settings)).toBe('release-probe');
    expect(afterProbeSuccess(circuit({ state: 'HALF_OPEN', successes: 1 }), settings)).toBe('close');
    expect(afterProbeSuccess(circuit({ state: 'HALF_OPEN', successes: 0 }), { successThreshold: 1 })).toBe('close');
  });

  test('a whole life, written out: CLOSED -> OPEN -> HALF_OPEN -> OPEN (twice as long) -> HALF_OPEN -> HALF_OPEN -> CLOSED', () => {
    // GIVEN a circuit whose failures reached the threshold
    let c = circuit({ failures: 3, windowStart: NOW });
    const states: string[] = [c.state];
    const step = (kind: TransitionKind, at: number) => {
      c = nextCircuit(c, kind, at, settings);
      states.push(`${c.state}@v${c.version}`);
    };
    // WHEN
    step('open', NOW);
    expect(admit(c, NOW + 999).action).toBe('refuse');
    step('probe-after-open', NOW + 1_000);
    step('reopen', NOW + 1_100);
    expect(c.openUntil).toBe(NOW + 1_100 + 2_000);
    expect(admit(c, NOW + 3_099).action).toBe('refuse');
    step('probe-after-open', NOW + 3_100);
    step(afterProbeSuccess(c, settings), NOW + 3_200);
    expect(admit(c, NOW + 3_200)).toEqual({ action: 'probe', claim: 'probe-again' });
    step('probe-again', NOW + 3_300);
    step(afterProbeSuccess(c, settings), NOW + 3_400);
    // THEN
    expect(states).toEqual(['CLOSED', 'OPEN@v1', 'HALF_OPEN@v2', 'OPEN@v3', 'HALF_OPEN@v4', 'HALF_OPEN@v5', 'HALF_OPEN@v6', 'CLOSED@v7']);
    expect(c).toEqual({ ...CLOSED_CIRCUIT, version: 7, windowStart: NOW + 3_400 });
  });
});
