import { ArnFormat, Duration, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULTS, LIMITS } from './private/defaults';
import {
  ConfigurationLocation, defaultConfigurationBucket, locationObjectsArn, nagResource, wireFunction,
} from './private/fis-lambda-extension';
import { acknowledgeGrantedWildcard, nagArnPrefix } from './private/nag';
import { formatDuration, validateDurationRange, validateNumberRange } from './private/validation';

/** Options of `LambdaFault.error()`. */
export interface LambdaErrorOptions {
  /**
   * Whether the invocation fails without running the function code. With
   * `false`, the code runs (and its side effects happen) before the
   * invocation is marked as failed.
   *
   * AWS recommends setting `AWS_FIS_POLL_MAX_WAIT_MILLISECONDS` on the
   * function (e.g. `2000`) with `true`, so that the extension has the current
   * configuration before it decides.
   *
   * @default false
   * @see https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#invocation-error
   */
  readonly preventExecution?: boolean;
}

/** Options of `LambdaFault.httpResponse()`. */
export interface LambdaHttpResponseOptions {
  /**
   * The content type header of the injected response.
   *
   * @default 'application/json'
   */
  readonly contentType?: string;

  /**
   * Whether the response is returned without running the function code. With
   * `false`, the code runs and its response is replaced.
   *
   * @default false
   * @see https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#invocation-http-integration-response
   */
  readonly preventExecution?: boolean;
}

/**
 * A fault that AWS FIS injects into Lambda invocations: one of the
 * `aws:lambda:invocation-*` actions with its parameters (besides
 * `duration` and `invocationPercentage`, which the experiment sets).
 *
 * @see https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#fis-actions-reference-lambda
 */
export class LambdaFault {
  /**
   * Delays the start of the function code by `delay` (`aws:lambda:invocation-add-delay`).
   * The delay is billed; a delay above the function timeout makes the invocation time out.
   *
   * @param delay valid range: 0-900,000 ms (15 min)
   */
  public static addDelay(delay: Duration): LambdaFault {
    validateDurationMillis('fault.addDelay(delay)', delay, LIMITS.fisStartupDelay.min, LIMITS.fisStartupDelay.max);
    return new LambdaFault('aws:lambda:invocation-add-delay', { startupDelayMilliseconds: String(millis(delay)) },
      `add ${millis(delay)} ms of delay to`);
  }

  /** Marks invocations as failed (`aws:lambda:invocation-error`). */
  public static error(options: LambdaErrorOptions = {}): LambdaFault {
    const prevent = options.preventExecution ?? false;
    return new LambdaFault('aws:lambda:invocation-error', { preventExecution: String(prevent) },
      `fail${prevent ? ' without running' : ''}`);
  }

  /**
   * Returns an HTTP response with `statusCode` for the integrations of API
   * Gateway, ALB and VPC Lattice (`aws:lambda:invocation-http-integration-response`).
   *
   * @param statusCode valid range: 0-999
   */
  public static httpResponse(statusCode: number, options: LambdaHttpResponseOptions = {}): LambdaFault {
    validateNumberRange('fault.httpResponse(statusCode)', statusCode, LIMITS.fisStatusCode.min, LIMITS.fisStatusCode.max);
    const prevent = options.preventExecution ?? false;
    const contentType = options.contentType ?? DEFAULTS.fisContentType;
    if (!Token.isUnresolved(contentType) && contentType.trim() === '') {
      throw new Error('fault.httpResponse(options.contentType) must not be empty, got \'\'');
    }
    return new LambdaFault('aws:lambda:invocation-http-integration-response', {
      statusCode: Tokenization.stringifyNumber(statusCode),
      contentTypeHeader: contentType,
      preventExecution: String(prevent),
    }, `return HTTP ${Tokenization.stringifyNumber(statusCode)}${prevent ? ' without running' : ' instead of the response of'}`);
  }

  /**
   * @param actionId the FIS action
   * @param parameters the action's parameters besides `duration` and `invocationPercentage`
   * @param summary what the fault does to an invocation, for the template's description
   */
  private constructor(
    /** The FIS action id, e.g. `aws:lambda:invocation-error`. */
    public readonly actionId: string,
    /** The action's parameters besides `duration` and `invocationPercentage`, as FIS reads them (strings). */
    public readonly parameters: { [name: string]: string },
    private readonly summary: string,
  ) {
    // Validated when the fault was made: nothing may change them afterwards.
    Object.freeze(parameters);
  }

  /** What the fault does, in words. @internal */
  public _describe(percentage: number, duration: Duration): string {
    return `${this.summary} ${Tokenization.stringifyNumber(percentage)}% of invocations for ${formatDuration(duration)}`;
  }
}

/**
 * Properties of a `FisLambdaExperiment`.
 */
export interface FisLambdaExperimentProps {
  /**
   * The functions whose invocations get the fault: `lambda.Function`s of this
   * app (`NodejsFunction`, ...). Each is wired once for FIS (extension layer,
   * two environment variables, read access to the configuration prefix),
   * however many experiments target it. An imported function (with or
   * without its role), an alias or a version is refused: the layer and the
   * variables must be set on the function, and only the app that deploys a
   * function can set them.
   *
   * Valid range: 1-5 functions (one FIS target lists at most 5 ARNs).
   *
   * @see https://docs.aws.amazon.com/fis/latest/userguide/fis-quotas.html
   */
  readonly functions: lambda.IFunction[];

  /** The fault to inject. */
  readonly fault: LambdaFault;

  /**
   * The share of invocations that get the fault, in percent.
   *
   * Valid range: 1-100.
   *
   * @default 100 (the FIS default)
   * @see https://docs.aws.amazon.com/fis/latest/userguide/use-lambda-actions.html#understanding-invocation-percentage
   */
  readonly invocationPercentage?: number;

  /**
   * How long the fault lasts.
   *
   * Valid range: 60 s-12 h. FIS allows at most 12 h; the extension polls for
   * a new experiment every 60 s, so a shorter fault may reach no invocation.
   *
   * @default Duration.minutes(10)
   * @see https://docs.aws.amazon.com/fis/latest/userguide/fis-quotas.html
   */
  readonly duration?: Duration;

  /**
   * CloudWatch alarms that stop the experiment when one goes into ALARM.
   *
   * Watch the steady state that callers see (their errors, their latency, an
   * SLO alarm), never the errors or the delay the experiment itself injects:
   * such an alarm stops the experiment at once. An empty list is refused
   * unless `allowNoStopCondition` is true.
   *
   * Valid range: 0-5 alarms.
   *
   * @see https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html
   */
  readonly stopConditions: cloudwatch.IAlarm[];

  /**
   * Allows an experiment without a stop condition (`stopConditions: []`): it
   * then runs for its whole duration whatever happens, and `ResilienceChecks`
   * reports it (Resilience-FIS1) until you acknowledge that finding.
   *
   * @default false
   */
  readonly allowNoStopCondition?: boolean;

  /**
   * The bucket where FIS writes the fault configurations and the extension
   * reads them. All experiments on a function must use the same bucket and
   * prefix.
   *
   * @default - one bucket per stack, shared by its experiments: S3-managed
   * encryption, TLS only, public access blocked, objects expire after a day
   */
  readonly configurationBucket?: s3.IBucket;

  /**
   * The folder of the bucket: not empty, ends with `/`.
   *
   * @default 'FisConfigs/'
   */
  readonly configurationPrefix?: string;

  /**
   * Where FIS writes the experiment's log (schema version 2).
   *
   * @default - a new log group that keeps the log 90 days
   * @see https://docs.aws.amazon.com/fis/latest/userguide/monitoring-logging.html
   */
  readonly logGroup?: logs.ILogGroup;

  /**
   * The description of the experiment template (at most 512 characters).
   *
   * @default - the fault, the share of invocations, the duration and the construct path
   */
  readonly description?: string;
}

/**
 * An AWS Fault Injection Service experiment on Lambda functions: FIS injects
 * a delay, an error or an HTTP response into a share of their invocations,
 * in any runtime, without code changes, and stops when a steady-state alarm
 * fires.
 *
 * It creates the experiment template, its role (which can write only the
 * configuration prefix and read only the target functions) and its log
 * group, and wires each function once: the FIS extension layer for its
 * architecture (read from AWS's public SSM parameter at deploy time),
 * `AWS_FIS_CONFIGURATION_LOCATION` and `AWS_LAMBDA_EXEC_WRAPPER`, and read
 * access to the configuration prefix. The wiring is permanent: the extension
 * polls S3 every 60 s even when no experiment runs.
 *
 * Start it with `aws fis start-experiment --experiment-template-id <id>`.
 */
export class FisLambdaExperiment extends Construct {
  /** The experiment template. */
  public readonly experimentTemplate: fis.CfnExperimentTemplate;

  /** The role that FIS assumes to run the experiment. */
  public readonly role: iam.Role;

  /** The bucket where FIS writes the fault configurations. */
  public readonly configurationBucket: s3.IBucket;

  /** The folder of the bucket. */
  public readonly configurationPrefix: string;

  /** The log group of the experiment's log. */
  public readonly logGroup: logs.ILogGroup;

  /** The id of the experiment template, for `aws fis start-experiment --experiment-template-id`. */
  public readonly experimentTemplateId: string;

  constructor(scope: Construct, id: string, props: FisLambdaExperimentProps) {
    super(scope, id);
    const percentage = props.invocationPercentage ?? DEFAULTS.fisInvocationPercentage;
    const duration = props.duration ?? DEFAULTS.fisExperimentDuration;
    validateProps(props, percentage, duration);

    this.configurationBucket = props.configurationBucket ?? defaultConfigurationBucket(this);
    this.configurationPrefix = props.configurationPrefix ?? DEFAULTS.fisConfigurationPrefix;
    const location: ConfigurationLocation = { bucket: this.configurationBucket, prefix: this.configurationPrefix };
    const functions = props.functions.map((fn, i) => wireFunction(this, fn, i, location));

    this.logGroup = props.logGroup ?? new logs.LogGroup(this, 'Logs', { retention: DEFAULTS.fisLogRetention });
    this.role = this.createRole(functions, location);

    const stopConditions = props.stopConditions.length > 0
      ? props.stopConditions.map(alarm => ({ source: 'aws:cloudwatch:alarm', value: alarm.alarmArn }))
      : [{ source: 'none' }];
    this.experimentTemplate = new fis.CfnExperimentTemplate(this, 'Resource', {
      description: props.description ?? defaultDescription(this, props.fault, percentage, duration),
      roleArn: this.role.roleArn,
      targets: {
        Functions: {
          resourceType: 'aws:lambda:function',
          resourceArns: functions.map(fn => fn.functionArn),
          selectionMode: 'ALL',
        },
      },
      actions: {
        [actionName(props.fault)]: {
          actionId: props.fault.actionId,
          parameters: {
            duration: duration.toIsoString(),
            invocationPercentage: Tokenization.stringifyNumber(percentage),
            ...props.fault.parameters,
          },
          targets: { Functions: 'Functions' },
        },
      },
      stopConditions,
      logConfiguration: {
        // A JSON property in the L1: its keys are written as CloudFormation spells them.
        cloudWatchLogsConfiguration: { LogGroupArn: this.logGroup.logGroupArn },
        logSchemaVersion: 2,
      },
    });
    // The role's policy is in place before the template that uses it.
    this.experimentTemplate.node.addDependency(this.role);
    this.experimentTemplateId = this.experimentTemplate.ref;
  }

  /**
   * The alarms this construct raises: none. Its `stopConditions` are your
   * own steady-state alarms.
   */
  public get alarms(): cloudwatch.Alarm[] {
    return [];
  }

  /**
   * The experiment role: FIS may write and delete the configurations under
   * the prefix only, read only the target functions, look resources up by tag
   * (`tag:GetResources`, which IAM cannot scope to a resource), and deliver
   * its log to the log group.
   */
  private createRole(functions: lambda.Function[], location: ConfigurationLocation): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'fis', resource: 'experiment', resourceName: '*' }) },
        },
      }),
      description: `Runs the FIS experiment ${this.node.path} on Lambda functions`,
    });
    const objects = locationObjectsArn(location);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: [objects] }));
    location.bucket.encryptionKey?.grantEncrypt(role);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:GetFunction'], resources: functions.map(fn => fn.functionArn) }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['tag:GetResources'], resources: ['*'] }));
    // CloudWatch Logs delivery of a vended log: CreateLogDelivery has no resource scope; the other three act on log groups' resource policies.
    const logGroups = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogDelivery'], resources: ['*'] }));
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
      resources: [logGroups],
    }));

    acknowledgeGrantedWildcard(role, nagResource(this, objects),
      'FIS writes and deletes the fault configurations under the configuration prefix only.');
    acknowledgeGrantedWildcard(role, '*',
      'tag:GetResources (FIS resolves its targets with it) and logs:CreateLogDelivery (experiment logging) have no resource-level scope in IAM.');
    acknowledgeGrantedWildcard(role, `${nagArnPrefix(this, 'logs')}:log-group:*`,
      'CloudWatch Logs needs PutResourcePolicy, DescribeResourcePolicies and DescribeLogGroups on log-group:* to deliver the experiment log '
      + '(not a single log group, as its user guide says).');
    return role;
  }
}

/** Throws on the first invalid prop. */
function validateProps(props: FisLambdaExperimentProps, percentage: number, duration: Duration): void {
  const count = props.functions.length;
  if (count < 1 || count > LIMITS.fisTargetArns) {
    throw new Error(`functions must list between 1 and ${LIMITS.fisTargetArns} functions (one FIS target lists at most ${LIMITS.fisTargetArns} ARNs), `
      + `got ${count}${count > LIMITS.fisTargetArns ? ': create one experiment per group of functions' : ''}`);
  }
  validateNumberRange('invocationPercentage', percentage, LIMITS.fisInvocationPercentage.min, LIMITS.fisInvocationPercentage.max);
  validateDurationRange('duration', duration, LIMITS.fisDuration.min, LIMITS.fisDuration.max);
  if (duration.isUnresolved()) throw new Error('duration must be known at synth time, got a token');
  const stops = props.stopConditions.length;
  if (stops > LIMITS.fisStopConditions) {
    throw new Error(`stopConditions must list at most ${LIMITS.fisStopConditions} alarms (an FIS template has at most ${LIMITS.fisStopConditions}), got ${stops}`);
  }
  if (stops === 0 && !props.allowNoStopCondition) {
    throw new Error('stopConditions must list at least one alarm that watches the steady state (what callers see), got none: '
      + 'an experiment without one runs for its whole duration whatever happens; set allowNoStopCondition: true to run it anyway');
  }
  if (stops > 0 && props.allowNoStopCondition) {
    throw new Error(`allowNoStopCondition must not be set when stopConditions lists alarms, got ${stops} alarms`);
  }
  const prefix = props.configurationPrefix;
  if (prefix !== undefined && !Token.isUnresolved(prefix) && (prefix === '' || prefix.startsWith('/') || !prefix.endsWith('/'))) {
    throw new Error(`configurationPrefix must be a folder such as 'FisConfigs/' (not empty, no leading '/', a trailing '/'), got '${prefix}'`);
  }
  const description = props.description;
  if (description !== undefined && !Token.isUnresolved(description) && (description.length === 0 || description.length > LIMITS.fisDescription)) {
    throw new Error(`description must be between 1 and ${LIMITS.fisDescription} characters, got ${description.length}`);
  }
}

/** The action's name in the template: the action id without its prefix, e.g. `invocation-error`. */
function actionName(fault: LambdaFault): string {
  return fault.actionId.replace(/^aws:lambda:/, '');
}

function defaultDescription(scope: Construct, fault: LambdaFault, percentage: number, duration: Duration): string {
  const text = `${scope.node.path}: ${fault._describe(percentage, duration)}`;
  return text.length > LIMITS.fisDescription ? `${text.slice(0, LIMITS.fisDescription - 3)}...` : text;
}

/** A whole number of milliseconds. */
function millis(d: Duration): number {
  return d.toMilliseconds();
}

function validateDurationMillis(prop: string, d: Duration, min: Duration, max: Duration): void {
  if (d.isUnresolved()) throw new Error(`${prop} must be known at synth time, got a token`);
  const ms = d.toMilliseconds({ integral: false });
  if (!Number.isInteger(ms) || ms < min.toMilliseconds() || ms > max.toMilliseconds()) {
    throw new Error(`${prop} must be a whole number of milliseconds between ${min.toMilliseconds()} and ${max.toMilliseconds()} ms, got ${ms} ms`);
  }
}
