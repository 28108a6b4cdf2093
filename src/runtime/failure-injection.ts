/**
 * Failure injection (chaos engineering) for Lambda handlers: `injectFailure(handler)`
 * reads the experiment from the `FailureInjection` feature-flag profile through
 * the AppConfig Lambda extension and injects the enabled failures.
 */
// Default imports give the modules' own objects: patching them is seen by `net`, `http` and `fetch`.
import dns from 'dns';
import { promises as fs } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { cacheGeneration, checkReadOptions, ExtensionReadOptions, extensionUrl, readThroughExtension } from './appconfig-extension';
import { FAILURE_INJECTION_DISABLED_ENV, FAILURE_INJECTION_PATH_ENV } from './contract';
import {
  AttributeDescription, FAILURE_MODE_NAMES, FAILURE_MODES, FailureMode, FailureModeAttributes, NumberAttributeDescription,
  PatternsAttributeDescription, PERCENTAGE, StringAttributeDescription,
} from './failure-modes';
import { consoleLogger, RuntimeLogger } from './logger';
import { optionalBoolean, optionalFunction, optionalObjectWith, optionalString, requireFunction } from './validate';

export { FAILURE_INJECTION_DISABLED_ENV, FAILURE_INJECTION_PATH_ENV };
export type { FailureMode } from './failure-modes';

/**
 * One flag of the experiment, as the AppConfig extension serves it: a disabled
 * flag is `{ enabled: false }` (AppConfig omits its attributes); an enabled flag
 * carries its attributes, all required, and `percentage`.
 */
export type FailureFlag<TAttributes> =
  | {
    /** The flag is off: its failure is never injected. */
    readonly enabled: false;
  }
  | ({
    /** The flag is on: its failure is injected in `percentage` % of the invocations. */
    readonly enabled: true;
    /** The share of invocations that get this failure, a whole number 0-100. Default 100. */
    readonly percentage?: number;
  } & TAttributes);

/**
 * `latency`: sleep a uniformly drawn time, `minLatency` to `maxLatency` ms (whole numbers 0-900,000), before the handler runs.
 *
 * @interface
 */
export type LatencyAttributes = FailureModeAttributes<'latency'>;

/**
 * `timeout`: sleep until only `timeoutBuffer` ms (a whole number 0-900,000) of the invocation are left, so the function times out.
 *
 * @interface
 */
export type TimeoutAttributes = FailureModeAttributes<'timeout'>;

/**
 * `diskspace`: fill `/tmp` (or `tmpDir`) with a file of `diskSpace` MB (MiB, a whole number 1-10,240) for the invocation.
 *
 * @interface
 */
export type DiskSpaceAttributes = FailureModeAttributes<'diskspace'>;

/**
 * `denylist`: DNS lookups of host names that match one of the regular
 * expressions of `denylist` (at least one) fail with `ENOTFOUND`. They are
 * JavaScript expressions, unanchored unless you anchor them, tested
 * case-insensitively (host names are): `^api\.example\.com$` also denies
 * `API.Example.com`. IP addresses are never denied.
 *
 * @interface
 */
export type DenylistAttributes = FailureModeAttributes<'denylist'>;

/**
 * `statuscode`: return `{ statusCode }` (an HTTP status code, a whole number 100-599) without running the handler.
 *
 * @interface
 */
export type StatusCodeAttributes = FailureModeAttributes<'statuscode'>;

/**
 * `exception`: throw `new Error(exceptionMessage)` without running the handler.
 *
 * @interface
 */
export type ExceptionAttributes = FailureModeAttributes<'exception'>;

/**
 * `corruption`: replace the `body` of the handler's result (or the result, when it has no `body`) with `body`.
 *
 * @interface
 */
export type CorruptionAttributes = FailureModeAttributes<'corruption'>;

/**
 * The simplified feature-flag document the AppConfig extension serves for the
 * `FailureInjection` profile: one flag per failure mode. A missing flag is a
 * disabled one; other keys are ignored.
 *
 * @interface
 */
export type FailureInjectionFlags = {
  readonly [M in keyof typeof FAILURE_MODES]?: FailureFlag<FailureModeAttributes<M>>;
};

/** Options of `injectFailure`. Durations are in milliseconds. */
export interface FailureInjectionOptions extends ExtensionReadOptions {
  /**
   * The extension route of the feature-flag profile.
   * Default: `FAILURE_INJECTION_CONFIGURATION_PATH` (`FailureInjection` sets it).
   */
  readonly path?: string;
  /** Log what would be injected (one JSON line per mode) and inject nothing. Default false. */
  readonly dryRun?: boolean;
  /** Where `diskspace` writes its file. Default: `os.tmpdir()` (`/tmp` in Lambda). */
  readonly tmpDir?: string;
  /** Random numbers in [0, 1) for the percentage draws and the latency (for tests). Default `Math.random`. */
  readonly random?: () => number;
  /**
   * Where the injection and warning lines go (for example the `Logger` of Powertools for AWS Lambda).
   * Default: one JSON line per event on the console (`info` to stdout, `warn` to stderr).
   */
  readonly logger?: RuntimeLogger;
}

/** What `injectFailure` needs of the Lambda context: only `timeout` uses it. */
interface RemainingTime {
  getRemainingTimeInMillis?: () => number;
}

/** The names of the attributes of mode `M` that hold regular expressions. */
type PatternAttributes<M extends FailureMode> = {
  [K in keyof (typeof FAILURE_MODES)[M]['attributes']]: (typeof FAILURE_MODES)[M]['attributes'][K] extends { readonly type: 'patterns' } ? K : never
}[keyof (typeof FAILURE_MODES)[M]['attributes']];

/** An enabled mode of a valid document: its attributes checked against the description, its expressions compiled. */
interface ActiveModeOf<M extends FailureMode> {
  readonly mode: M;
  readonly percentage: number;
  readonly attributes: FailureModeAttributes<M>;
  /** The compiled expressions of each attribute that holds regular expressions. */
  readonly patterns: { readonly [K in PatternAttributes<M>]: readonly RegExp[] };
}

/** An enabled mode, discriminated by `mode`. */
type ActiveMode = { [M in FailureMode]: ActiveModeOf<M> }[FailureMode];

/** What this process knows of one configuration (one extension URL). */
interface ConfigurationState {
  /** The last document read, and its enabled modes (`undefined`: the document is invalid). */
  document?: { readonly source: unknown; readonly modes: readonly ActiveMode[] | undefined };
  /** After a failed read, the extension is not asked again before this time (unless the cache is cleared since). */
  failedUntil: number;
  /** The `cacheGeneration()` of the failed read: `clearConfigurationCache()` forgets it. */
  failedGeneration?: number;
  /** The error of the last failed read, which concurrent invocations share: it is logged once. */
  lastError?: unknown;
}

const MIB = 1024 * 1024;
const FILE_PREFIX = 'failure-injection-';
const NO_MODES: readonly ActiveMode[] = [];

const states = new Map<string, ConfigurationState>();

/**
 * Wraps an async Lambda handler with failure injection. Each invocation reads
 * the experiment (a feature-flag document) through the AppConfig Lambda
 * extension, from a cache of `maxAge` ms (default 5,000): once cached, no
 * request is made. Each enabled mode is drawn independently with its own
 * `percentage`, then applied in this order:
 *
 * 1. `latency`: sleeps a uniformly drawn time between `minLatency` and `maxLatency`;
 * 2. `timeout`: sleeps `context.getRemainingTimeInMillis() - timeoutBuffer`, so
 *    the handler starts with only `timeoutBuffer` ms left (skipped without a context);
 * 3. `diskspace`: writes a file of `diskSpace` MB into `tmpDir`; when the disk
 *    fills up first, it keeps what it wrote, logs one warning, and the handler runs
 *    (a full disk is the failure this mode injects);
 * 4. `denylist`: `dns.lookup` and `dns.promises.lookup` fail with `ENOTFOUND`
 *    for host names that match an expression, case-insensitively (IP
 *    addresses are never denied; connections already open, e.g. kept alive,
 *    are not affected);
 * 5. `statuscode`: returns `{ statusCode }` without running the handler;
 * 6. `exception`: throws `new Error(exceptionMessage)` without running the handler;
 * 7. `corruption`: after the handler, replaces its result's `body` (or the
 *    result, when it has no `body`) with `body`; not when the handler did not run.
 *
 * The `FailureInjection` construct's props become these attributes in the
 * units above: `Duration`s in milliseconds (`latency.minLatency` →
 * `minLatency`, `timeout.buffer` → `timeoutBuffer`), `diskSpace.sizeMb` →
 * `diskSpace` (MB), `denylist.hosts` → `denylist`, `exception.message` →
 * `exceptionMessage`; `statusCode.statusCode`, `corruption.body` and
 * `percentage` keep their names.
 *
 * Each injected failure logs one line through `logger.info` before it is
 * applied: `{"level":"INFO","message":"failure injected: <mode>","mode":...,"percentage":...,<its attributes>}`
 * (plus `latency`, the drawn ms, or `remaining` and `sleep` for `timeout`);
 * with `dryRun`, the message is `failure injection dry run: not injected: <mode>`,
 * with `"dryRun":true`, and nothing is injected. Side effects last one
 * invocation: the file is deleted and DNS is restored when the invocation
 * ends, also when it throws. A file left by a process that was killed (a
 * timeout) is deleted by the next `diskspace` injection. The file and the DNS
 * patch act on the whole process: in Lambda one invocation runs at a time,
 * but invocations that run concurrently in one process (a local test) share them.
 *
 * It fails safe: when the path is missing, the extension cannot be reached,
 * or the document is invalid (not an object, a flag without a boolean
 * `enabled`, an enabled flag with a missing or out-of-range attribute, a
 * fraction (every number, `percentage` included, is a whole number, as the
 * construct requires), an empty denylist, a bad regular expression), NO failure is injected (not even the valid modes), the
 * handler runs untouched, and one line is logged through `logger.warn` per
 * failed read (a missing path: one per wrapper), with the URL and the error
 * (an unreachable extension says how to run locally). After a failed read the
 * extension is not asked again for `maxAge` ms, unless `clearConfigurationCache()`
 * is called. Keys of the document that are not modes are ignored without a warning.
 *
 * What the code passes is checked when the handler is wrapped, not at run
 * time: `injectFailure` throws an `Error` naming the argument when `handler`
 * is not a function or an option is of the wrong type or out of range
 * (`dryRun` true or false, `port` an integer 1-65,535, `random` a function, ...).
 *
 * `FAILURE_INJECTION_DISABLED=true` (any case, surrounding spaces ignored;
 * any other value leaves injection on) turns it all off: nothing is read.
 * The environment (`FAILURE_INJECTION_DISABLED`, `FAILURE_INJECTION_CONFIGURATION_PATH`,
 * `AWS_APPCONFIG_EXTENSION_HTTP_PORT`) is read once per wrapper, at its first
 * invocation: it does not change during an execution environment's life.
 */
export function injectFailure<TEvent = any, TResult = any, TContext = any>(
  handler: (event: TEvent, context: TContext) => Promise<TResult>,
  options: FailureInjectionOptions = {},
): (event: TEvent, context: TContext) => Promise<TResult> {
  // What the handler's code passes is checked once, here (JavaScript handlers get no types): a mistake throws
  // when the module loads, where what the experiment's document says is read at each invocation and fails safe.
  requireFunction('handler', handler);
  options = checkReadOptions(options);
  optionalBoolean('dryRun', options.dryRun);
  optionalString('tmpDir', options.tmpDir);
  optionalFunction('random', options.random);
  optionalObjectWith('logger', options.logger, ['info', 'warn', 'error'], 'a logger');
  const random = options.random ?? Math.random;
  const logger = options.logger ?? consoleLogger;
  let source: Source | 'disabled' | undefined;
  return async (event, context) => {
    // The environment is read once: it does not change during an execution environment's life.
    source ??= resolveSource(options, logger);
    if (source === 'disabled') {
      return handler(event, context);
    }
    const modes = await activeModes(source);
    if (modes === undefined || modes.length === 0) {
      return handler(event, context);
    }
    const drawn = modes.filter(m => random() < m.percentage / 100);
    if (drawn.length === 0) {
      return handler(event, context);
    }
    if (options.dryRun) {
      for (const m of drawn) {
        const injection = injectionOf(m, random, context);
        if (injection) log(logger, 'failure injection dry run: not injected', m, injection.logged, true);
      }
      return handler(event, context);
    }
    return inject(drawn, handler, event, context, random, options.tmpDir ?? os.tmpdir(), logger);
  };
}

/** Where a wrapper reads its configuration, resolved once from its options and the environment. */
interface Source {
  readonly route: string;
  readonly url: string;
  /** The options for `readThroughExtension`, the port resolved (so that no variable is read per invocation). */
  readonly read: ExtensionReadOptions;
  readonly maxAge: number;
  readonly state: ConfigurationState;
  readonly logger: RuntimeLogger;
}

function resolveSource(options: FailureInjectionOptions, logger: RuntimeLogger): Source | 'disabled' {
  if (process.env[FAILURE_INJECTION_DISABLED_ENV]?.trim().toLowerCase() === 'true') {
    return 'disabled';
  }
  const route = options.path ?? process.env[FAILURE_INJECTION_PATH_ENV];
  if (!route) {
    logger.warn(`failure injection: no configuration path (options.path or ${FAILURE_INJECTION_PATH_ENV}); no failure is injected`, {});
    return 'disabled';
  }
  const read: ExtensionReadOptions = {
    ...options,
    path: route,
    port: options.port ?? Number(process.env.AWS_APPCONFIG_EXTENSION_HTTP_PORT ?? 2772),
  };
  const url = extensionUrl(route, read);
  let state = states.get(url);
  if (!state) {
    state = { failedUntil: 0 };
    states.set(url, state);
  }
  return { route, url, read, maxAge: options.maxAge ?? 5_000, state, logger };
}

/** One injection of a mode: what is logged, and what it does to the invocation. */
interface Injection {
  /** The line's fields besides `mode` and `percentage`: the attributes, and what was drawn or measured. */
  readonly logged: Readonly<Record<string, unknown>>;
  /** Injects the failure before the handler; a `{ result }` ends the invocation with it, and the handler does not run. */
  readonly before?: (invocation: Invocation) => void | { readonly result: unknown } | Promise<void>;
  /** Changes the handler's result. */
  readonly after?: (result: unknown) => unknown;
}

/** What an injection may use of the invocation. */
interface Invocation {
  readonly tmpDir: string;
  readonly logger: RuntimeLogger;
  /** Undoes a side effect when the invocation ends, also when it throws (the last one registered first). */
  readonly undo: (action: () => void | Promise<void>) => void;
}

/** Prepares one injection of a mode, just before it applies; `undefined` when it cannot apply (`timeout` without a context). */
type Injector<M extends FailureMode> = (m: ActiveModeOf<M>, random: () => number, context: unknown) => Injection | undefined;

/** The injector of each mode: adding a mode is its description in `failure-modes.ts` and its injector here. */
const INJECTORS: { readonly [M in FailureMode]: Injector<M> } = {
  latency: (m, random) => {
    const { minLatency, maxLatency } = m.attributes;
    const latency = Math.round(minLatency + random() * (maxLatency - minLatency));
    return { logged: { ...m.attributes, latency }, before: () => sleep(latency) };
  },
  timeout: (m, _random, context) => {
    const remaining = (context as RemainingTime | undefined)?.getRemainingTimeInMillis?.();
    if (typeof remaining !== 'number' || !Number.isFinite(remaining)) return undefined;
    const wait = Math.max(0, remaining - m.attributes.timeoutBuffer);
    return { logged: { ...m.attributes, remaining, sleep: wait }, before: () => sleep(wait) };
  },
  diskspace: m => ({
    logged: m.attributes,
    before: async ({ tmpDir, logger, undo }) => {
      const file = path.join(tmpDir, `${FILE_PREFIX}${process.pid}-${Date.now()}-${++fileCount}.tmp`);
      activeFiles.add(file);
      undo(() => removeFile(file, logger));
      await fillDisk(tmpDir, file, m.attributes.diskSpace, logger);
    },
  }),
  denylist: m => ({
    logged: m.attributes,
    before: ({ undo }) => {
      const token = denyHosts(m.patterns.denylist);
      undo(() => allowHosts(token));
    },
  }),
  statuscode: m => ({ logged: m.attributes, before: () => ({ result: { statusCode: m.attributes.statusCode } }) }),
  exception: m => ({
    logged: m.attributes,
    before: () => {
      throw new Error(m.attributes.exceptionMessage);
    },
  }),
  corruption: m => ({
    logged: m.attributes,
    after: result => (typeof result === 'object' && result !== null && 'body' in result ? { ...result, body: m.attributes.body } : m.attributes.body),
  }),
};

function injectionOf<M extends FailureMode>(m: ActiveModeOf<M>, random: () => number, context: unknown): Injection | undefined {
  const injector: Injector<M> = INJECTORS[m.mode];
  return injector(m, random, context);
}

async function inject<TEvent, TResult, TContext>(
  drawn: readonly ActiveMode[],
  handler: (event: TEvent, context: TContext) => Promise<TResult>,
  event: TEvent,
  context: TContext,
  random: () => number,
  tmpDir: string,
  logger: RuntimeLogger,
): Promise<TResult> {
  const undos: Array<() => void | Promise<void>> = [];
  const invocation: Invocation = { tmpDir, logger, undo: action => undos.push(action) };
  try {
    const afters: Array<(result: unknown) => unknown> = [];
    for (const m of drawn) {
      // Prepared when it applies: `timeout` measures the time left after the modes before it.
      const injection = injectionOf(m, random, context);
      if (injection === undefined) continue;
      log(logger, 'failure injected', m, injection.logged, false);
      const outcome = await injection.before?.(invocation);
      if (outcome) return outcome.result as TResult;
      if (injection.after) afters.push(injection.after);
    }
    let result: unknown = await handler(event, context);
    for (const after of afters) result = after(result);
    return result as TResult;
  } finally {
    for (const action of undos.reverse()) await action();
  }
}

function log(logger: RuntimeLogger, message: string, m: ActiveMode, logged: Readonly<Record<string, unknown>>, dryRun: boolean): void {
  logger.info(`${message}: ${m.mode}`, { mode: m.mode, percentage: m.percentage, ...logged, ...(dryRun ? { dryRun } : {}) });
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise(resolve => setTimeout(resolve, ms)) : Promise.resolve();
}

/** The enabled modes of the configuration at `route`, in order; `undefined` when it cannot be read or is invalid. */
async function activeModes(source: Source): Promise<readonly ActiveMode[] | undefined> {
  const state = source.state;
  if (state.failedGeneration === cacheGeneration() && Date.now() < state.failedUntil) {
    return undefined;
  }
  let document: unknown;
  try {
    document = await readThroughExtension(source.route, source.read);
  } catch (error) {
    // Concurrent invocations share one read, and so its error: one warning per failed read.
    if (error !== state.lastError) {
      state.lastError = error;
      state.failedUntil = Date.now() + source.maxAge;
      state.failedGeneration = cacheGeneration();
      source.logger.warn('failure injection: could not read the configuration through the AppConfig extension; no failure is injected', {
        url: source.url,
        error: (error as Error)?.message ?? String(error),
      });
    }
    return undefined;
  }
  // The extension cache returns the same document until it expires: validate (and warn) once per read.
  if (!state.document || state.document.source !== document) {
    const { modes, problems } = validate(document);
    if (problems.length > 0) {
      source.logger.warn('failure injection: invalid configuration; no failure is injected', { url: source.url, problems });
    }
    state.document = { source: document, modes };
  }
  return state.document.modes;
}

/** Checks a document against the description of the modes; any problem invalidates all of it. */
function validate(document: unknown): { modes: readonly ActiveMode[] | undefined; problems: string[] } {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { modes: undefined, problems: [`the configuration must be a JSON object of flags, got ${show(document)}`] };
  }
  const problems: string[] = [];
  const modes: ActiveMode[] = [];
  for (const mode of FAILURE_MODE_NAMES) {
    const flag = (document as Record<string, unknown>)[mode];
    if (flag === undefined) continue;
    if (typeof flag !== 'object' || flag === null || typeof (flag as { enabled?: unknown }).enabled !== 'boolean') {
      problems.push(`${mode} must be an object with a boolean "enabled", got ${show(flag)}`);
      continue;
    }
    const f = flag as Record<string, unknown>;
    if (f.enabled !== true) continue;
    const before = problems.length;
    const percentage = f.percentage ?? PERCENTAGE.default;
    checkNumber(problems, `${mode}.percentage`, percentage, PERCENTAGE);
    const described: Readonly<Record<string, AttributeDescription>> = FAILURE_MODES[mode].attributes;
    const attributes: Record<string, unknown> = {};
    const patterns: Record<string, readonly RegExp[]> = {};
    for (const [name, spec] of Object.entries(described)) {
      const value = (attributes[name] = f[name]);
      switch (spec.type) {
        case 'number':
          checkNumber(problems, `${mode}.${name}`, value, spec);
          break;
        case 'string':
          checkString(problems, `${mode}.${name}`, value, spec);
          break;
        case 'patterns':
          patterns[name] = compilePatterns(problems, `${mode}.${name}`, value, spec);
          break;
      }
    }
    if (problems.length > before) continue;
    for (const [name, spec] of Object.entries(described)) {
      if (spec.type === 'number' && spec.atLeast !== undefined && (attributes[name] as number) < (attributes[spec.atLeast] as number)) {
        problems.push(`${mode}.${name} must be at least ${spec.atLeast} (${attributes[spec.atLeast]}), got ${attributes[name]}`);
      }
    }
    if (problems.length === before) {
      // Checked against the description the mode's types are derived from.
      modes.push({ mode, percentage, attributes, patterns } as ActiveMode);
    }
  }
  return problems.length > 0 ? { modes: undefined, problems } : { modes: modes.length > 0 ? modes : NO_MODES, problems };
}

function checkNumber(problems: string[], where: string, value: unknown, spec: NumberAttributeDescription): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < spec.min || value > spec.max || (spec.integer && !Number.isInteger(value))) {
    problems.push(`${where} must be ${spec.integer ? 'an integer' : 'a number'} between ${spec.min} and ${spec.max}, got ${show(value)}`);
  }
}

function checkString(problems: string[], where: string, value: unknown, spec: StringAttributeDescription): void {
  if (typeof value !== 'string') {
    problems.push(`${where} must be a string, got ${show(value)}`);
  } else if (value.length > spec.maxLength) {
    problems.push(`${where} must be at most ${spec.maxLength} characters (${spec.limit}), got ${value.length}`);
  }
}

/** The expressions, compiled case-insensitively (host names are); `[]` when they are not valid. */
function compilePatterns(problems: string[], where: string, value: unknown, spec: PatternsAttributeDescription): readonly RegExp[] {
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) {
    problems.push(`${where} must be an array of regular expressions (strings), got ${show(value)}`);
    return [];
  }
  if (value.length < spec.minItems) {
    problems.push(`${where} must list at least ${spec.minItems} regular expression${spec.minItems === 1 ? '' : 's'}, got ${value.length}`);
  }
  const patterns: RegExp[] = [];
  for (const source of value as string[]) {
    if (source.length > spec.maxLength) {
      problems.push(`${where} has a regular expression longer than ${spec.maxLength} characters (${spec.limit}), got ${source.length}`);
      continue;
    }
    try {
      patterns.push(new RegExp(source, 'i'));
    } catch (error) {
      problems.push(`${where} has an invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message}`);
    }
  }
  return patterns;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value)?.slice(0, 100) ?? String(value);
}

let fileCount = 0;
/** The files of injections in progress in this process. */
const activeFiles = new Set<string>();

/** Writes `megabytes` MiB of zeros (real blocks, not a sparse file) without blocking the event loop. */
async function fillDisk(dir: string, file: string, megabytes: number, logger: RuntimeLogger): Promise<void> {
  await removeOrphans(dir, logger);
  let written = 0;
  try {
    const handle = await fs.open(file, 'w');
    try {
      const chunk = Buffer.alloc(MIB);
      for (; written < megabytes; written++) {
        await handle.write(chunk, 0, MIB);
      }
    } finally {
      await handle.close();
    }
  } catch (error) {
    // A full disk is the failure this mode injects: the handler still runs.
    logger.warn(`failure injection: diskspace wrote ${written} of ${megabytes} MB`, { file, error: (error as Error).message });
  }
}

/**
 * Lambda runs one invocation at a time in an execution environment, so a file
 * of ours that no invocation of this process holds was left by a process that
 * was killed (a timeout, out of memory) before it could delete it.
 */
async function removeOrphans(dir: string, logger: RuntimeLogger): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names
    .filter(name => name.startsWith(FILE_PREFIX) && name.endsWith('.tmp') && !activeFiles.has(path.join(dir, name)))
    .map(name => removeFile(path.join(dir, name), logger)));
}

async function removeFile(file: string, logger: RuntimeLogger): Promise<void> {
  activeFiles.delete(file);
  await fs.rm(file, { force: true }).catch(error => logger.warn('failure injection: could not delete the diskspace file', { file, error: error.message }));
}

/** The denylists of the invocations in progress, by invocation; DNS is patched while there is one. */
const denylists = new Map<object, readonly RegExp[]>();
let original: { lookup: typeof dns.lookup; promisesLookup: typeof dns.promises.lookup } | undefined;

function denied(hostname: unknown): boolean {
  // An IP address needs no lookup to fail: it is never denied.
  if (typeof hostname !== 'string' || net.isIP(hostname) !== 0) return false;
  for (const patterns of denylists.values()) {
    if (patterns.some(p => p.test(hostname))) return true;
  }
  return false;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
    code: 'ENOTFOUND',
    errno: -3008,
    syscall: 'getaddrinfo',
    hostname,
  });
}

/** Makes lookups of matching host names fail until `allowHosts(token)`; returns the token. */
function denyHosts(patterns: readonly RegExp[]): object {
  const token = {};
  denylists.set(token, patterns);
  if (original) return token;
  const saved = { lookup: dns.lookup, promisesLookup: dns.promises.lookup };
  original = saved;
  dns.lookup = function lookup(hostname: string, ...rest: unknown[]) {
    if (denied(hostname)) {
      const callback = rest[rest.length - 1];
      if (typeof callback === 'function') {
        process.nextTick(callback as (error: Error) => void, notFound(hostname));
        return;
      }
    }
    return (saved.lookup as (...args: unknown[]) => unknown)(hostname, ...rest);
  } as typeof dns.lookup;
  dns.promises.lookup = async function lookup(hostname: string, ...rest: unknown[]) {
    if (denied(hostname)) {
      throw notFound(hostname);
    }
    return (saved.promisesLookup as (...args: unknown[]) => Promise<unknown>)(hostname, ...rest);
  } as typeof dns.promises.lookup;
  return token;
}

function allowHosts(token: object): void {
  denylists.delete(token);
  if (denylists.size > 0 || !original) return;
  dns.lookup = original.lookup;
  dns.promises.lookup = original.promisesLookup;
  original = undefined;
}
