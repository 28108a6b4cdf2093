import { Duration, Token, Validations } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { AppConfigProfile } from './app-config-profile';
import { DEFAULTS } from './private/defaults';
import { attachableFunction } from './private/function-source';
import { FAILURE_INJECTION_DISABLED_ENV, FAILURE_INJECTION_PATH_ENV } from './runtime/contract';
import {
  AttributeDescription, FAILURE_MODE_NAMES, FAILURE_MODES, FailureMode, FailureModeDescription, NumberAttributeDescription,
  PatternsAttributeDescription, PERCENTAGE, StringAttributeDescription,
} from './runtime/failure-modes';

/** What every failure mode has: whether it is on, and how often it strikes. */
export interface FailureModeOptions {
  /**
   * Whether the mode is on.
   *
   * @default false
   */
  readonly enabled?: boolean;

  /**
   * The share of invocations it strikes, in percent.
   *
   * Valid range: 0-100.
   *
   * @default 100
   */
  readonly percentage?: number;
}

/** Adds latency before the handler runs. */
export interface LatencyFailure extends FailureModeOptions {
  /** @default Duration.millis(100) */
  readonly minLatency?: Duration;
  /** @default Duration.millis(400) */
  readonly maxLatency?: Duration;
}

/** Throws instead of running the handler. */
export interface ExceptionFailure extends FailureModeOptions {
  /** @default 'Injected failure' */
  readonly message?: string;
}

/** Returns `{ statusCode }` instead of running the handler. */
export interface StatusCodeFailure extends FailureModeOptions {
  /**
   * Valid range: 100-599.
   *
   * @default 500
   */
  readonly statusCode?: number;
}

/** Fills the function's /tmp before the handler runs (removed after it). */
export interface DiskSpaceFailure extends FailureModeOptions {
  /**
   * Megabytes written. Valid range: 1-10240.
   *
   * @default 100
   */
  readonly sizeMb?: number;
}

/** Makes DNS lookups of matching hosts fail while the handler runs. */
export interface DenylistFailure extends FailureModeOptions {
  /**
   * Regular expressions of the hosts to deny.
   *
   * @default - none
   */
  readonly hosts?: string[];
}

/** Holds the invocation until the function times out. */
export interface TimeoutFailure extends FailureModeOptions {
  /**
   * How long before the function's timeout the wait ends.
   *
   * @default Duration.millis(0)
   */
  readonly buffer?: Duration;
}

/** Replaces the body of the handler's response. */
export interface CorruptionFailure extends FailureModeOptions {
  /** @default '' */
  readonly body?: string;
}

/**
 * Properties of a `FailureInjection`.
 */
export interface FailureInjectionProps {
  /**
   * The name of the AppConfig application.
   *
   * @default - a name derived from the stack name and the construct path
   */
  readonly applicationName?: string;
  /**
   * The name of the AppConfig environment the flags deploy to.
   *
   * @default 'chaos'
   */
  readonly environmentName?: string;
  /** The initial latency flag. @default - off */
  readonly latency?: LatencyFailure;
  /** The initial exception flag. @default - off */
  readonly exception?: ExceptionFailure;
  /** The initial status code flag. @default - off */
  readonly statusCode?: StatusCodeFailure;
  /** The initial disk space flag. @default - off */
  readonly diskSpace?: DiskSpaceFailure;
  /** The initial denylist flag. @default - off */
  readonly denylist?: DenylistFailure;
  /** The initial timeout flag. @default - off */
  readonly timeout?: TimeoutFailure;
  /** The initial corruption flag. @default - off */
  readonly corruption?: CorruptionFailure;

  /**
   * How a change of the flags rolls out: fast, for experiments.
   *
   * @default - AppConfig.Linear50PercentEvery30Seconds (1 minute, then 1 minute of bake time)
   */
  readonly deploymentStrategy?: appconfig.IDeploymentStrategy;

  /**
   * Steady-state alarms that end an experiment: when one fires while a
   * change of the flags is deploying, AppConfig rolls it back (they are the
   * AppConfig environment's monitors). Watch what callers see (their errors,
   * latency, an SLO alarm), never the errors the experiment injects.
   * `FisLambdaExperiment` calls its own the same.
   *
   * @default - none
   * @see https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-environment.html
   */
  readonly stopConditions?: cloudwatch.IAlarm[];

  /** See `AppConfigProfileProps.layerArn`. @default - the layer for the stack's region */
  readonly layerArn?: string;
}

/**
 * Chaos experiments for Lambda functions, driven by AppConfig feature flags.
 *
 * An AppConfig feature-flags profile holds one flag per failure mode
 * (latency, timeout, diskspace, denylist, statuscode, exception, corruption),
 * all off by default. `attachTo(fn)` lets a function read it; the handler
 * wrapped with `injectFailure()` (cdk-resilience/runtime) applies what is on.
 * Change a flag in AppConfig to start or stop an experiment: it rolls out in
 * a minute, and rolls back when one of its steady-state `stopConditions` fires. Set
 * `FAILURE_INJECTION_DISABLED=true` on a function to switch it off there.
 */
export class FailureInjection extends Construct {
  /**
   * The environment variable that `attachTo(fn)` sets to the flags' extension
   * route (`FAILURE_INJECTION_CONFIGURATION_PATH`), and that `injectFailure()`
   * of cdk-resilience/runtime reads.
   */
  public static readonly CONFIGURATION_PATH_ENV: string = FAILURE_INJECTION_PATH_ENV;

  /**
   * The kill switch (`FAILURE_INJECTION_DISABLED`): when a function's
   * environment sets it to `true`, `injectFailure()` runs the handler
   * untouched and reads nothing.
   */
  public static readonly DISABLED_ENV: string = FAILURE_INJECTION_DISABLED_ENV;

  /**
   * The flags of the profile, one per failure mode, as the runtime reads them
   * (`latency`, `timeout`, `diskspace`, `denylist`, `statuscode`, `exception`, `corruption`).
   */
  public static readonly FLAG_NAMES: string[] = Object.freeze([...FAILURE_MODE_NAMES]) as string[];

  /** The feature-flags profile. */
  public readonly profile: AppConfigProfile;

  /** The flags document as hosted (type `AWS.AppConfig.FeatureFlags`). */
  public readonly document: string;

  constructor(scope: Construct, id: string, props: FailureInjectionProps = {}) {
    super(scope, id);
    this.document = JSON.stringify(renderFlags(props), undefined, 2);
    this.profile = new AppConfigProfile(this, 'Profile', {
      applicationName: props.applicationName,
      environmentName: props.environmentName ?? DEFAULTS.failureInjectionEnvironmentName,
      profileName: DEFAULTS.failureInjectionProfileName,
      type: appconfig.ConfigurationType.FEATURE_FLAGS,
      content: appconfig.ConfigurationContent.fromInlineJson(this.document),
      deploymentStrategy: props.deploymentStrategy ?? appconfig.DeploymentStrategy.fromDeploymentStrategyId(
        this, 'DeploymentStrategy', appconfig.DeploymentStrategyId.LINEAR_50_PERCENT_EVERY_30_SECONDS),
      monitors: props.stopConditions,
      layerArn: props.layerArn,
    });
    if (!props.stopConditions?.length) {
      Validations.of(this.profile.environment).acknowledge({
        id: 'Resilience-AppConfig1',
        reason: 'Every flag starts off and the errors of the attached functions are the experiment, so they must not roll it back; '
          + `steady-state stop conditions (props.stopConditions) end an experiment automatically, ${FAILURE_INJECTION_DISABLED_ENV}=true ends it by hand.`,
      });
    }
  }

  /**
   * Lets `fn` read the flags: the AppConfig extension layer, the variable
   * `FAILURE_INJECTION_CONFIGURATION_PATH`, and read of this profile only.
   * The function's own errors do not roll experiments back (they are the
   * experiment); give steady-state `stopConditions` for that. `fn` must be a
   * `lambda.Function` of this app, as for `AppConfigProfile.attachTo()`.
   *
   * @returns the grant of read access to the flags
   */
  public attachTo(fn: lambda.IFunction): iam.Grant {
    attachableFunction(this, fn, FAILURE_INJECTION_PATH_ENV, 'profile.grantRead(fn) (and add the AppConfig extension layer)');
    return this.profile.attachTo(fn, { environmentVariable: FAILURE_INJECTION_PATH_ENV, monitorErrors: false });
  }

  /**
   * The alarms this construct raises: none. The errors of the attached
   * functions are the experiment; `stopConditions` are your own alarms.
   */
  public get alarms(): cloudwatch.Alarm[] {
    return [];
  }
}

/** The options of one mode as the props give them: its struct, read by the field names of the description. */
type ModeOptions = FailureModeOptions & { readonly [field: string]: unknown };

/**
 * The AWS.AppConfig.FeatureFlags document, rendered from the description of
 * the modes (`runtime/failure-modes.ts`) once the props are validated against it:
 * one flag per mode, its attributes with their constraints, and its value.
 */
function renderFlags(props: FailureInjectionProps): unknown {
  const values = flagValues(props);
  const flags: Record<string, unknown> = {};
  for (const mode of FAILURE_MODE_NAMES) {
    const { description, attributes }: FailureModeDescription = FAILURE_MODES[mode];
    const definitions: Record<string, unknown> = { percentage: { constraints: constraintsOf(PERCENTAGE) } };
    for (const [name, spec] of Object.entries(attributes)) {
      definitions[name] = { constraints: constraintsOf(spec) };
    }
    flags[mode] = { name: mode, description, attributes: definitions };
  }
  return { version: '1', flags, values };
}

/** AppConfig's constraints of an attribute. AppConfig cannot say "whole number": the construct and the runtime check it. */
function constraintsOf(spec: AttributeDescription): Record<string, unknown> {
  const required = spec.required ? { required: true } : {};
  switch (spec.type) {
    case 'number':
      return { type: 'number', ...required, minimum: spec.min, maximum: spec.max };
    case 'string':
      return { type: 'string', ...required };
    case 'patterns':
      return { type: 'array', ...required, elements: { type: 'string' } };
  }
}

/** The value of every flag, from the props and the defaults of the description; throws on the first invalid prop. */
function flagValues(props: FailureInjectionProps): Record<FailureMode, Record<string, unknown>> {
  const values = {} as Record<FailureMode, Record<string, unknown>>;
  for (const mode of FAILURE_MODE_NAMES) {
    const { prop, attributes }: FailureModeDescription = FAILURE_MODES[mode];
    // Indexed by the literal prop of the description: a prop that FailureInjectionProps lacks does not compile.
    const options = props[FAILURE_MODES[mode].prop] as ModeOptions | undefined;
    const value: Record<string, unknown> = { enabled: options?.enabled ?? false };
    const described: Readonly<Record<string, AttributeDescription>> = { percentage: PERCENTAGE, ...attributes };
    for (const [name, spec] of Object.entries(described)) {
      const path = `${prop}.${spec.field}`;
      const given = options?.[spec.field];
      switch (spec.type) {
        case 'number':
          value[name] = validNumber(path, given, spec);
          break;
        case 'string':
          value[name] = validString(path, given, spec);
          break;
        case 'patterns': {
          const list = validPatterns(path, given, spec, options?.enabled ? prop : undefined);
          // An empty list matches both AppConfig array types, which its schema refuses: leave it out.
          if (list.length > 0) value[name] = list;
          break;
        }
      }
    }
    for (const [name, spec] of Object.entries(attributes)) {
      if (spec.type !== 'number' || spec.atLeast === undefined) continue;
      const least = value[spec.atLeast] as number;
      if ((value[name] as number) < least) {
        const unit = unitSuffix(spec);
        throw new Error(`${prop}.${spec.field} must be at least ${prop}.${attributes[spec.atLeast].field} (${least}${unit}), got ${value[name]}${unit}`);
      }
    }
    values[mode] = value;
  }
  return values;
}

function unitSuffix(spec: NumberAttributeDescription): string {
  return spec.unit === 'ms' ? ' ms' : '';
}

/** A number prop (a `Duration` for `ms`) as the flag holds it; it is rendered into the document, so it must be known at synth time. */
function validNumber(path: string, given: unknown, spec: NumberAttributeDescription): number {
  if (given === undefined) return spec.default;
  const value = spec.unit === 'ms' ? ms(path, given as Duration) : given as number;
  if (Token.isUnresolved(value)) {
    throw new Error(`${path} must be known at synth time, got a token`);
  }
  if (!Number.isFinite(value) || value < spec.min || value > spec.max || (spec.integer && !Number.isInteger(value))) {
    const unit = unitSuffix(spec);
    throw new Error(`${path} must be ${spec.integer ? 'an integer' : 'a number'} between ${spec.min} and ${spec.max}${unit}`
      + `${spec.limit ? ` (${spec.limit})` : ''}, got ${value}${unit}`);
  }
  return value;
}

function ms(path: string, d: Duration): number {
  if (d.isUnresolved()) throw new Error(`${path} must be known at synth time, got a token`);
  // Not rounded: a fraction of a millisecond is refused like any fraction.
  return d.toMilliseconds({ integral: false });
}

function validString(path: string, given: unknown, spec: StringAttributeDescription): string {
  if (given === undefined) return spec.default;
  const value = given as string;
  if (!Token.isUnresolved(value) && value.length > spec.maxLength) {
    throw new Error(`${path} must be at most ${spec.maxLength} characters (${spec.limit}), got ${value.length}`);
  }
  return value;
}

/** The expressions; `enabledProp` names the prop when the mode is on, which needs `minItems` of them. */
function validPatterns(path: string, given: unknown, spec: PatternsAttributeDescription, enabledProp: string | undefined): readonly string[] {
  const list = (given ?? []) as readonly string[];
  if (enabledProp !== undefined && list.length < spec.minItems) {
    throw new Error(`${path} must list at least ${spec.minItems === 1 ? 'one regular expression' : `${spec.minItems} regular expressions`}`
      + ` when ${enabledProp} is enabled, got ${list.length === 0 ? 'none' : list.length}`);
  }
  for (const source of list) {
    if (Token.isUnresolved(source)) continue;
    if (source.length > spec.maxLength) {
      throw new Error(`${path} must be at most ${spec.maxLength} characters (${spec.limit}), got ${source.length}`);
    }
    try {
      new RegExp(source);
    } catch (error) {
      throw new Error(`${path} must be regular expressions, got '${source}': ${(error as Error).message}`);
    }
  }
  return list;
}
