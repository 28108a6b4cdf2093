import { Duration, Token } from 'aws-cdk-lib';

/** A duration as people read it: `10 s`, `90 min`, `4 days`. */
export function formatDuration(d: Duration): string {
  const s = d.toSeconds({ integral: false });
  if (!Number.isInteger(s)) return `${d.toMilliseconds({ integral: false })} ms`;
  if (s % 86_400 === 0 && s >= 86_400) return `${s / 86_400} ${s === 86_400 ? 'day' : 'days'}`;
  if (s % 3_600 === 0 && s >= 3_600) return `${s / 3_600} h`;
  if (s % 60 === 0 && s >= 120) return `${s / 60} min`;
  return `${s} s`;
}

/** Throws unless `value` is within `[min, max]`; tokens are skipped. */
export function validateNumberRange(prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prop} must be an integer between ${min} and ${max}, got ${value}`);
  }
}

/** Throws unless `value` is within `[min, max]`; tokens are skipped. */
export function validateDurationRange(prop: string, value: Duration | undefined, min: Duration, max: Duration): void {
  if (value === undefined || value.isUnresolved()) return;
  const s = value.toSeconds({ integral: false });
  if (s < min.toSeconds({ integral: false }) || s > max.toSeconds({ integral: false })) {
    throw new Error(`${prop} must be between ${formatDuration(min)} and ${formatDuration(max)}, got ${formatDuration(value)}`);
  }
}

/** Throws unless exactly one of the two props is given. */
export function requireExactlyOne(owner: string, a: [string, unknown], b: [string, unknown]): void {
  const given = [a, b].filter(([, v]) => v !== undefined).length;
  if (given !== 1) {
    throw new Error(`${owner} needs exactly one of ${a[0]} or ${b[0]}, got ${given === 0 ? 'neither' : 'both'}`);
  }
}
