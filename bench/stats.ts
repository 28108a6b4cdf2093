/**
 * The statistics every benchmark prints: one median, one percentile and one
 * ratio, so that the tables of the benchmarks agree on what they mean.
 */

function sorted(values: readonly number[]): number[] {
  if (values.length === 0) {
    throw new Error('no values');
  }
  return [...values].sort((a, b) => a - b);
}

/** The middle value; with an even number of values, the mean of the two in the middle. */
export function median(values: readonly number[]): number {
  const s = sorted(values);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The `p` quantile (0 < p ≤ 1) by nearest rank: the smallest value that at
 * least `p` of the values are at or below (`percentile(values, 0.9)` is the p90).
 */
export function percentile(values: readonly number[], p: number): number {
  const s = sorted(values);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/**
 * `value ÷ reference`, printed as `1.23×`: `digits` decimals, two significant
 * digits below 0.01, no decimals from 100. A reference of 0 or less gives `1×`
 * when the value is 0 or less too, `∞` otherwise.
 */
export function ratio(value: number, reference: number, digits = 2): string {
  if (reference <= 0) return value <= 0 ? '1×' : '∞';
  const r = value / reference;
  if (r === 0) return '0×';
  if (Math.abs(r) < 0.01) return `${r.toPrecision(2)}×`;
  return `${Math.abs(r) >= 100 ? r.toFixed(0) : r.toFixed(digits)}×`;
}
