import { Duration, Token, Validations } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { AppConfigProfile } from './app-config-profile';
import { validateNumberRange } from './private/validation';
import { FAILURE_INJECTION_DISABLED_ENV, FAILURE_INJECTION_PATH_ENV } from './runtime/contract';

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
  /** @default - a name derived from the stack name and the construct path */
  readonly applicationName?: string;
  /** @default 'chaos' */
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
   * change of the flags is deploying, AppConfig rolls it back.
   *
   * @default - none
   */
  readonly monitors?: cloudwatch.IAlarm[];

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
 * a minute, and rolls back when a steady-state monitor fires. Set
 * `FAILURE_INJECTION_DISABLED=true` on a function to switch it off there.
 */
export class FailureInjection extends Construct {
  /** The feature-flags profile. */
  public readonly profile: AppConfigProfile;

  /** The flags document as hosted (type `AWS.AppConfig.FeatureFlags`). */
  public readonly document: string;

  constructor(scope: Construct, id: string, props: FailureInjectionProps = {}) {
    super(scope, id);
    this.document = JSON.stringify(renderFlags(props), undefined, 2);
    this.profile = new AppConfigProfile(this, 'Profile', {
      applicationName: props.applicationName,
      environmentName: props.environmentName ?? 'chaos',
      profileName: 'failure-injection',
      type: appconfig.ConfigurationType.FEATURE_FLAGS,
      content: appconfig.ConfigurationContent.fromInlineJson(this.document),
      deploymentStrategy: props.deploymentStrategy ?? appconfig.DeploymentStrategy.fromDeploymentStrategyId(
        this, 'DeploymentStrategy', appconfig.DeploymentStrategyId.LINEAR_50_PERCENT_EVERY_30_SECONDS),
      monitors: props.monitors,
      layerArn: props.layerArn,
    });
    if (!props.monitors?.length) {
      Validations.of(this.profile.environment).acknowledge({
        id: 'Resilience-AppConfig1',
        reason: 'Every flag starts off and the errors of the attached functions are the experiment, so they must not roll it back; '
          + `steady-state monitors (props.monitors) end an experiment automatically, ${FAILURE_INJECTION_DISABLED_ENV}=true ends it by hand.`,
      });
    }
  }

  /**
   * Lets `fn` read the flags: the AppConfig extension layer, the variable
   * `FAILURE_INJECTION_CONFIGURATION_PATH`, and read of this profile only.
   * The function's own errors do not roll experiments back (they are the
   * experiment); give steady-state `monitors` for that. `fn` must be a
   * `lambda.Function` of this app, as for `AppConfigProfile.attachTo()`.
   *
   * @returns the grant of read access to the flags
   */
  public attachTo(fn: lambda.IFunction): iam.Grant {
    return this.profile.attachTo(fn, { environmentVariable: FAILURE_INJECTION_PATH_ENV, monitorErrors: false });
  }
}

type AttributeSpec = { constraints: Record<string, unknown>; value: unknown };

/** Lambda's longest invocation. */
const MAX_MS = 900_000;
/** AppConfig's longest string attribute value. */
const MAX_STRING = 1024;

/** The AWS.AppConfig.FeatureFlags document: flag definitions with constraints, and their values. */
function renderFlags(props: FailureInjectionProps): unknown {
  const ms = (prop: string, d: Duration | undefined, fallback: number) => {
    if (d === undefined) return fallback;
    if (d.isUnresolved()) throw new Error(`${prop} must be known at synth time, got a token`);
    return d.toMilliseconds();
  };
  const number = (minimum: number, maximum: number) => ({ type: 'number', required: true, minimum, maximum });
  const modes: Record<string, { prop: string; description: string; options?: FailureModeOptions; attributes: Record<string, AttributeSpec> }> = {
    latency: {
      prop: 'latency',
      description: 'Waits a random time between minLatency and maxLatency (ms) before the handler',
      options: props.latency,
      attributes: {
        minLatency: { constraints: number(0, 900_000), value: ms('latency.minLatency', props.latency?.minLatency, 100) },
        maxLatency: { constraints: number(0, 900_000), value: ms('latency.maxLatency', props.latency?.maxLatency, 400) },
      },
    },
    timeout: {
      prop: 'timeout',
      description: 'Holds the invocation until timeoutBuffer (ms) before the function times out',
      options: props.timeout,
      attributes: { timeoutBuffer: { constraints: number(0, 900_000), value: ms('timeout.buffer', props.timeout?.buffer, 0) } },
    },
    diskspace: {
      prop: 'diskSpace',
      description: 'Writes diskSpace MB to /tmp before the handler, removed after it',
      options: props.diskSpace,
      attributes: { diskSpace: { constraints: number(1, 10_240), value: props.diskSpace?.sizeMb ?? 100 } },
    },
    denylist: {
      prop: 'denylist',
      description: 'Fails DNS lookups of the hosts that match any regular expression of denylist',
      options: props.denylist,
      attributes: { denylist: { constraints: { type: 'array', elements: { type: 'string' } }, value: props.denylist?.hosts } },
    },
    statuscode: {
      prop: 'statusCode',
      description: 'Returns { statusCode } instead of running the handler',
      options: props.statusCode,
      attributes: { statusCode: { constraints: number(100, 599), value: props.statusCode?.statusCode ?? 500 } },
    },
    exception: {
      prop: 'exception',
      description: 'Throws an Error with exceptionMessage instead of running the handler',
      options: props.exception,
      attributes: { exceptionMessage: { constraints: { type: 'string', required: true }, value: props.exception?.message ?? 'Injected failure' } },
    },
    corruption: {
      prop: 'corruption',
      description: 'Replaces the body of the handler\'s response with body',
      options: props.corruption,
      attributes: { body: { constraints: { type: 'string' }, value: props.corruption?.body ?? '' } },
    },
  };

  const flags: Record<string, unknown> = {};
  const values: Record<string, unknown> = {};
  for (const [name, mode] of Object.entries(modes)) {
    const percentage = mode.options?.percentage ?? 100;
    validateNumberRange(`${mode.prop}.percentage`, percentage, 0, 100);
    const attributes: Record<string, AttributeSpec> = { percentage: { constraints: number(0, 100), value: percentage }, ...mode.attributes };
    flags[name] = {
      name,
      description: mode.description,
      attributes: Object.fromEntries(Object.entries(attributes).map(([key, spec]) => [key, { constraints: spec.constraints }])),
    };
    const value: Record<string, unknown> = { enabled: mode.options?.enabled ?? false };
    for (const [key, spec] of Object.entries(attributes)) {
      // An empty list matches both AppConfig array types, which its schema refuses: leave it out.
      if (spec.value !== undefined && !(Array.isArray(spec.value) && spec.value.length === 0)) value[key] = spec.value;
    }
    values[name] = value;
  }
  validateNumberRange('statusCode.statusCode', props.statusCode?.statusCode, 100, 599);
  validateNumberRange('diskSpace.sizeMb', props.diskSpace?.sizeMb, 1, 10_240);
  for (const [prop, value] of [['latency.minLatency', (values.latency as any).minLatency], ['latency.maxLatency', (values.latency as any).maxLatency],
    ['timeout.buffer', (values.timeout as any).timeoutBuffer]] as const) {
    if (!Token.isUnresolved(value) && (value < 0 || value > MAX_MS)) {
      throw new Error(`${prop} must be between 0 and ${MAX_MS} ms (15 minutes, the Lambda maximum), got ${value} ms`);
    }
  }
  for (const [prop, value] of [['exception.message', props.exception?.message], ['corruption.body', props.corruption?.body], ...(props.denylist?.hosts ?? []).map(h => ['denylist.hosts', h])]) {
    if (value !== undefined && !Token.isUnresolved(value) && value.length > MAX_STRING) {
      throw new Error(`${prop} must be at most ${MAX_STRING} characters (AppConfig's limit for a flag attribute), got ${value.length}`);
    }
  }
  if (props.denylist?.enabled && (props.denylist.hosts ?? []).length === 0) {
    throw new Error('denylist.hosts must list at least one host regular expression when denylist is enabled, got none');
  }
  const min = (values.latency as any).minLatency;
  const max = (values.latency as any).maxLatency;
  if (!Token.isUnresolved(min) && !Token.isUnresolved(max) && min > max) {
    throw new Error(`latency.maxLatency must be at least latency.minLatency (${min} ms), got ${max} ms`);
  }
  for (const host of props.denylist?.hosts ?? []) {
    try {
      new RegExp(host);
    } catch (error) {
      throw new Error(`denylist.hosts must be regular expressions, got '${host}': ${(error as Error).message}`);
    }
  }
  return { version: '1', flags, values };
}
