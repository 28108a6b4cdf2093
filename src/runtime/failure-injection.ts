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
import { cacheGeneration, ExtensionReadOptions, extensionUrl, readThroughExtension } from './appconfig-extension';
import { FAILURE_INJECTION_DISABLED_ENV, FAILURE_INJECTION_PATH_ENV } from './contract';
import { consoleLogger, RuntimeLogger } from './logger';

export { FAILURE_INJECTION_DISABLED_ENV, FAILURE_INJECTION_PATH_ENV };

/** The failure modes, in the order they are applied. */
export type FailureMode = 'latency' | 'timeout' | 'diskspace' | 'denylist' | 'statuscode' | 'exception' | 'corruption';

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
    /** The share of invocations that get this failure, 0-100. Default 100. */
    readonly percentage?: number;
  } & TAttributes);

/** `latency`: sleep a uniformly drawn time before the handler runs. */
export interface LatencyAttributes {
  /** The shortest latency, in ms (0-900,000). */
  readonly minLatency: number;
  /** The longest latency, in ms (`minLatency`-900,000). */
  readonly maxLatency: number;
}

/** `timeout`: sleep until only `timeoutBuffer` ms of the invocation are left, so the function times out. */
export interface TimeoutAttributes {
  /** What is left of the invocation when the handler starts, in ms (0-900,000). */
  readonly timeoutBuffer: number;
}

/** `diskspace`: fill `/tmp` (or `tmpDir`) with a file for the invocation. */
export interface DiskSpaceAttributes {
  /** The file's size, in MB (MiB, as Lambda's ephemeral storage counts them): an integer 1-10,240. */
  readonly diskSpace: number;
}

/** `denylist`: DNS lookups of matching host names fail with `ENOTFOUND`. */
export interface DenylistAttributes {
  /**
   * Regular expressions (JavaScript syntax, unanchored unless you anchor
   * them) tested against host names, case-insensitively (host names are):
   * `^api\.example\.com$` also denies `API.Example.com`. IP addresses are
   * never denied.
   */
  readonly denylist: readonly string[];
}

/** `statuscode`: return `{ statusCode }` without running the handler. */
export interface StatusCodeAttributes {
  /** An HTTP status code, an integer 100-599. */
  readonly statusCode: number;
}

/** `exception`: throw `new Error(exceptionMessage)` without running the handler. */
export interface ExceptionAttributes {
  /** The message of the `Error` thrown. */
  readonly exceptionMessage: string;
}

/** `corruption`: replace the `body` of the handler's result (or the result, when it has no `body`). */
export interface CorruptionAttributes {
  /** What replaces the `body` of the handler's result (or the result). */
  readonly body: string;
}

/**
 * The simplified feature-flag document the AppConfig extension serves for the
 * `FailureInjection` profile. A missing flag is a disabled one; other keys are ignored.
 */
export interface FailureInjectionFlags {
  /** Sleeps before the handler (`FailureInjection`'s `latency` prop). */
  readonly latency?: FailureFlag<LatencyAttributes>;
  /** Holds the invocation until it times out (`timeout` prop). */
  readonly timeout?: FailureFlag<TimeoutAttributes>;
  /** Fills `/tmp` (`diskSpace` prop). */
  readonly diskspace?: FailureFlag<DiskSpaceAttributes>;
  /** Fails DNS lookups of matching hosts (`denylist` prop). */
  readonly denylist?: FailureFlag<DenylistAttributes>;
  /** Returns `{ statusCode }` (`statusCode` prop). */
  readonly statuscode?: FailureFlag<StatusCodeAttributes>;
  /** Throws (`exception` prop). */
  readonly exception?: FailureFlag<ExceptionAttributes>;
  /** Replaces the result's body (`corruption` prop). */
  readonly corruption?: FailureFlag<CorruptionAttributes>;
}

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

/** An enabled mode of a valid document, its attributes checked (and the denylist compiled). */
interface ActiveMode {
  readonly mode: FailureMode;
  readonly percentage: number;
  readonly attributes: Record<string, unknown>;
  readonly patterns?: readonly RegExp[];
}

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

const MODES: readonly FailureMode[] = ['latency', 'timeout', 'diskspace', 'denylist', 'statuscode', 'exception', 'corruption'];
const MAX_DURATION_MS = 900_000;
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
 * `enabled`, an enabled flag with a missing or out-of-range attribute, a bad
 * regular expression), NO failure is injected (not even the valid modes), the
 * handler runs untouched, and one line is logged through `logger.warn` per
 * failed read (a missing path: one per wrapper), with the URL and the error
 * (an unreachable extension says how to run locally). After a failed read the
 * extension is not asked again for `maxAge` ms, unless `clearConfigurationCache()`
 * is called. Keys of the document that are not modes are ignored without a warning.
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
        log(logger, 'failure injection dry run: not injected', m, parameters(m, random, context), true);
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

async function inject<TEvent, TResult, TContext>(
  drawn: readonly ActiveMode[],
  handler: (event: TEvent, context: TContext) => Promise<TResult>,
  event: TEvent,
  context: TContext,
  random: () => number,
  tmpDir: string,
  logger: RuntimeLogger,
): Promise<TResult> {
  let file: string | undefined;
  let denylist: object | undefined;
  try {
    let corruption: ActiveMode | undefined;
    for (const m of drawn) {
      const params = parameters(m, random, context);
      if (params === undefined) continue;
      log(logger, 'failure injected', m, params, false);
      switch (m.mode) {
        case 'latency':
          await sleep(params.latency as number);
          break;
        case 'timeout':
          await sleep(params.sleep as number);
          break;
        case 'diskspace':
          file = path.join(tmpDir, `${FILE_PREFIX}${process.pid}-${Date.now()}-${++fileCount}.tmp`);
          activeFiles.add(file);
          await fillDisk(tmpDir, file, m.attributes.diskSpace as number, logger);
          break;
        case 'denylist':
          denylist = denyHosts(m.patterns!);
          break;
        case 'statuscode':
          return { statusCode: m.attributes.statusCode } as TResult;
        case 'exception':
          throw new Error(m.attributes.exceptionMessage as string);
        case 'corruption':
          corruption = m;
          break;
      }
    }
    const result = await handler(event, context);
    if (corruption === undefined) {
      return result;
    }
    const body = corruption.attributes.body as string;
    return (typeof result === 'object' && result !== null && 'body' in result ? { ...result, body } : body) as TResult;
  } finally {
    if (denylist) allowHosts(denylist);
    if (file) await removeFile(file, logger);
  }
}

/** The parameters of one injection, as logged; `undefined` when it cannot apply (`timeout` without a context). */
function parameters(m: ActiveMode, random: () => number, context: unknown): Record<string, unknown> | undefined {
  switch (m.mode) {
    case 'latency': {
      const { minLatency, maxLatency } = m.attributes as unknown as LatencyAttributes;
      return { ...m.attributes, latency: Math.round(minLatency + random() * (maxLatency - minLatency)) };
    }
    case 'timeout': {
      const remaining = (context as RemainingTime | undefined)?.getRemainingTimeInMillis?.();
      if (typeof remaining !== 'number' || !Number.isFinite(remaining)) return undefined;
      return { ...m.attributes, remaining, sleep: Math.max(0, remaining - (m.attributes.timeoutBuffer as number)) };
    }
    default:
      return m.attributes;
  }
}

function log(logger: RuntimeLogger, message: string, m: ActiveMode, params: Record<string, unknown> | undefined, dryRun: boolean): void {
  if (params === undefined) return;
  logger.info(`${message}: ${m.mode}`, { mode: m.mode, percentage: m.percentage, ...params, ...(dryRun ? { dryRun } : {}) });
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

/** Checks a document; any problem invalidates all of it. */
function validate(document: unknown): { modes: readonly ActiveMode[] | undefined; problems: string[] } {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { modes: undefined, problems: [`the configuration must be a JSON object of flags, got ${show(document)}`] };
  }
  const problems: string[] = [];
  const modes: ActiveMode[] = [];
  for (const mode of MODES) {
    const flag = (document as Record<string, unknown>)[mode];
    if (flag === undefined) continue;
    if (typeof flag !== 'object' || flag === null || typeof (flag as { enabled?: unknown }).enabled !== 'boolean') {
      problems.push(`${mode} must be an object with a boolean "enabled", got ${show(flag)}`);
      continue;
    }
    const f = flag as Record<string, unknown>;
    if (f.enabled !== true) continue;
    const before = problems.length;
    const percentage = f.percentage ?? 100;
    number(problems, mode, 'percentage', percentage, 0, 100);
    const attributes: Record<string, unknown> = {};
    const attribute = (name: string) => (attributes[name] = f[name]);
    let patterns: RegExp[] | undefined;
    switch (mode) {
      case 'latency':
        number(problems, mode, 'minLatency', attribute('minLatency'), 0, MAX_DURATION_MS);
        number(problems, mode, 'maxLatency', attribute('maxLatency'), 0, MAX_DURATION_MS);
        if (problems.length === before && (f.maxLatency as number) < (f.minLatency as number)) {
          problems.push(`latency.maxLatency must be at least minLatency (${f.minLatency}), got ${f.maxLatency}`);
        }
        break;
      case 'timeout':
        number(problems, mode, 'timeoutBuffer', attribute('timeoutBuffer'), 0, MAX_DURATION_MS);
        break;
      case 'diskspace':
        number(problems, mode, 'diskSpace', attribute('diskSpace'), 1, 10_240, true);
        break;
      case 'denylist':
        patterns = regexps(problems, attribute('denylist'));
        break;
      case 'statuscode':
        number(problems, mode, 'statusCode', attribute('statusCode'), 100, 599, true);
        break;
      case 'exception':
        string(problems, mode, 'exceptionMessage', attribute('exceptionMessage'));
        break;
      case 'corruption':
        string(problems, mode, 'body', attribute('body'));
        break;
    }
    if (problems.length === before) {
      modes.push({ mode, percentage: percentage as number, attributes, patterns });
    }
  }
  return problems.length > 0 ? { modes: undefined, problems } : { modes: modes.length > 0 ? modes : NO_MODES, problems };
}

function number(problems: string[], mode: FailureMode, name: string, value: unknown, min: number, max: number, integer = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    problems.push(`${mode}.${name} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got ${show(value)}`);
  }
}

function string(problems: string[], mode: FailureMode, name: string, value: unknown): void {
  if (typeof value !== 'string') {
    problems.push(`${mode}.${name} must be a string, got ${show(value)}`);
  }
}

function regexps(problems: string[], value: unknown): RegExp[] | undefined {
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) {
    problems.push(`denylist.denylist must be an array of regular expressions (strings), got ${show(value)}`);
    return undefined;
  }
  const patterns: RegExp[] = [];
  for (const source of value as string[]) {
    try {
      // Host names are case-insensitive.
      patterns.push(new RegExp(source, 'i'));
    } catch (error) {
      problems.push(`denylist.denylist has an invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message}`);
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
