/**
 * Run-time checks of what handlers pass to the runtime helpers. TypeScript
 * refuses most of these at compile time, but JavaScript handlers (and code
 * that casts) get no types: each helper checks its arguments when it is
 * created, and throws an `Error` that names the option, what it must be and
 * the value it got. A wrong argument is a bug to fix before deployment, so
 * it throws, where a wrong configuration read at run time fails safe.
 */

/** A value as an error message shows it: strings quoted, objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return name && name !== 'Object' ? `an object (${name})` : 'an object';
  }
  return String(value);
}

/** The options argument: absent, or an object. */
export function optionsObject<T extends object>(name: string, value: T | undefined): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${name} must be an object, got ${describeValue(value)}`);
  }
  return value;
}

/** A function the caller must give. */
export function requireFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') {
    throw new Error(`${name} must be a function, got ${describeValue(value)}`);
  }
}

/** A function the caller may give. */
export function optionalFunction(name: string, value: unknown): void {
  if (value !== undefined) requireFunction(name, value);
}

/** `true`, `false` or absent: a string such as `'false'` would read as true. */
export function optionalBoolean(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new Error(`${name} must be true or false, got ${describeValue(value)}`);
  }
}

/** A non-empty string, or absent. */
export function optionalString(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
    throw new Error(`${name} must be a non-empty string, got ${describeValue(value)}`);
  }
}

/** An object with these methods (a client, a logger), or absent. */
export function optionalObjectWith(name: string, value: unknown, methods: readonly string[], what: string): void {
  if (value === undefined) return;
  const missing = value !== null && typeof value === 'object'
    ? methods.filter(method => typeof (value as Record<string, unknown>)[method] !== 'function')
    : methods;
  if (missing.length > 0) {
    throw new Error(`${name} must be ${what} (an object with ${methods.map(m => `${m}()`).join(', ')}), got ${describeValue(value)}`
      + (value !== null && typeof value === 'object' ? ` without ${missing.map(m => `${m}()`).join(', ')}` : ''));
  }
}

/** A number in [min, max] (an integer when `integer`), or absent. */
export function optionalNumber(name: string, value: unknown, min: number, max: number, options: { integer?: boolean; unit?: string } = {}): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (options.integer && !Number.isInteger(value))) {
    const range = `${options.integer ? 'an integer' : 'a number'} between ${min.toLocaleString('en-US')} and ${max.toLocaleString('en-US')}${options.unit ? ` ${options.unit}` : ''}`;
    throw new Error(`${name} must be ${range}, got ${describeValue(value)}`);
  }
}
