import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import { functionErrorsAlarm, functionErrorsMetric, thresholdAlarm } from './private/alarms';
import { DEFAULTS, LIMITS } from './private/defaults';
import { functionOf, requireRole } from './private/function-source';
import { validateDurationRange, validateNumberRange } from './private/validation';

/**
 * Properties of an `AsyncFunction`: the function, and aws-cdk-lib's options of
 * an asynchronous invocation configuration, with this library's defaults and
 * checks:
 *
 * - `retryAttempts`: how many times Lambda retries an event whose invocation
 *   failed. Valid range: 0-2. Default: 2.
 * - `maxEventAge`: how long Lambda keeps an event it could not yet process
 *   (throttled, or between retries) before it sends it to the on-failure
 *   destination. Valid range: 60 seconds - 6 hours. Default: 6 hours.
 * - `onFailure`: where an event goes once its retries or its age are
 *   exhausted; a FIFO queue or topic is refused (Lambda destinations do not
 *   support them). Default: a new `DeadLetterQueue` (14 days retention, depth
 *   alarm) through an SQS destination, not aws-cdk-lib's "no destination".
 * - `onSuccess`: where a record of each successful invocation goes. Default: none.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
export interface AsyncFunctionProps extends lambda.EventInvokeConfigOptions {
  /**
   * An existing function. Give either `function` or `functionProps`, not both.
   * It must not have an asynchronous invocation configuration already, and an
   * imported function must be imported with its role
   * (`Function.fromFunctionAttributes({ functionArn, role })`): it is granted its destinations.
   *
   * @default - a function is created from `functionProps`
   */
  readonly function?: lambda.IFunction;

  /**
   * The properties of a new function. Give either `function` or
   * `functionProps`, not both. Leave out its `onFailure`, `onSuccess`,
   * `retryAttempts` and `maxEventAge`: they are this construct's props.
   *
   * @default - `function` is used
   */
  readonly functionProps?: lambda.FunctionProps;

  /**
   * What the alarms do when they fire (and recover).
   *
   * @default - the `DefaultAlarmAction` of the nearest scope that has one, or no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

/**
 * A function invoked asynchronously (by SNS, S3, EventBridge or
 * `InvocationType: Event`) whose failures are never silent.
 *
 * Lambda retries a failed event at most twice and keeps it at most 6 hours,
 * then sends a record of it (the request, the error) to the on-failure
 * destination: a `DeadLetterQueue` by default. Alarms watch the dead-letter queue,
 * the function's errors and throttles, and the events Lambda drops.
 */
export class AsyncFunction extends Construct {
  /** The function. */
  public readonly function: lambda.IFunction;

  /** The dead-letter queue that receives failed events, when the default on-failure destination is used. */
  public readonly deadLetterQueue?: DeadLetterQueue;

  /** The alarms: the dead-letter queue's depth (when it is ours), errors, throttles, dropped events. */
  public readonly alarms: cloudwatch.Alarm[];

  /**
   * Fires when the function fails. One per function: another construct of
   * this library that alarms on the same function's errors shares it.
   */
  public readonly errorsAlarm: cloudwatch.Alarm;

  /** Fires when the function is throttled: Lambda keeps throttled events up to `maxEventAge`. */
  public readonly throttlesAlarm: cloudwatch.Alarm;

  /** Fires when Lambda drops asynchronous events without processing them. */
  public readonly droppedEventsAlarm: cloudwatch.Alarm;

  /** How many times a failed event is retried. */
  public readonly retryAttempts: number;

  /** How long an event is kept before it goes to the on-failure destination. */
  public readonly maxEventAge: Duration;

  constructor(scope: Construct, id: string, props: AsyncFunctionProps) {
    super(scope, id);

    validateNumberRange('retryAttempts', props.retryAttempts, LIMITS.asyncRetryAttempts.min, LIMITS.asyncRetryAttempts.max);
    validateDurationRange('maxEventAge', props.maxEventAge, LIMITS.asyncMaxEventAge.min, LIMITS.asyncMaxEventAge.max);
    validateDestination('onFailure', props.onFailure);
    validateDestination('onSuccess', props.onSuccess);
    if (props.functionProps) {
      for (const key of ['onFailure', 'onSuccess', 'retryAttempts', 'maxEventAge'] as const) {
        if (props.functionProps[key] !== undefined) {
          throw new Error(`functionProps.${key} must not be set: it is AsyncFunction's own ${key} prop, got ${describe(props.functionProps[key])}`);
        }
      }
    }
    if (props.function) {
      if (props.function.node.tryFindChild('EventInvokeConfig')) {
        throw new Error(`function ${props.function.node.path} already has an asynchronous invocation configuration (EventInvokeConfig); a function has only one: remove it and set retryAttempts, maxEventAge and the destinations on AsyncFunction`);
      }
    }

    this.retryAttempts = props.retryAttempts ?? DEFAULTS.asyncRetryAttempts;
    this.maxEventAge = props.maxEventAge ?? DEFAULTS.asyncMaxEventAge;

    this.function = functionOf(this, 'AsyncFunction', props,
      'Failed asynchronous events go to the on-failure destination, which also records the error and the response; a legacy function dead-letter queue would only duplicate it.');

    requireRole('AsyncFunction', this.function, 'what its destinations need (sqs:SendMessage on the dead-letter queue by default)');
    let onFailure = props.onFailure;
    if (!onFailure) {
      this.deadLetterQueue = new DeadLetterQueue(this, 'FailureQueue', { alarmAction: props.alarmAction });
      onFailure = new destinations.SqsDestination(this.deadLetterQueue.queue);
    }
    this.function.configureAsyncInvoke({
      retryAttempts: this.retryAttempts,
      maxEventAge: this.maxEventAge,
      onFailure,
      onSuccess: props.onSuccess,
    });

    this.errorsAlarm = functionErrorsAlarm(this, 'ErrorsAlarm', this.function, {
      description: `The function of ${this.node.path} failed; Lambda retries each failed event up to ${this.retryAttempts} times, then sends it to the on-failure destination.`,
      alarmAction: props.alarmAction,
    });
    this.throttlesAlarm = thresholdAlarm(this, 'ThrottlesAlarm', {
      metric: this.metricThrottles(),
      threshold: 1,
      description: `The function of ${this.node.path} was throttled; Lambda keeps throttled events up to ${this.maxEventAge.toHumanString()}, then sends them to the on-failure destination.`,
      alarmAction: props.alarmAction,
    });
    this.droppedEventsAlarm = thresholdAlarm(this, 'DroppedEventsAlarm', {
      metric: this.metricAsyncEventsDropped(),
      threshold: 1,
      description: `Lambda dropped asynchronous events of ${this.node.path} without processing them: check the on-failure destination.`,
      alarmAction: props.alarmAction,
    });
    this.alarms = [
      ...(this.deadLetterQueue ? [this.deadLetterQueue.alarm] : []),
      this.errorsAlarm,
      this.throttlesAlarm,
      this.droppedEventsAlarm,
    ];
  }

  /**
   * The errors of the function, as `errorsAlarm` watches them.
   *
   * @default - sum over 5 minutes
   */
  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return functionErrorsMetric(this.function, props);
  }

  /**
   * The throttled invocations of the function, as `throttlesAlarm` watches them.
   *
   * @default - sum over 5 minutes
   */
  public metricThrottles(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricThrottles({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...props });
  }

  /**
   * The asynchronous events Lambda dropped without processing them, as `droppedEventsAlarm` watches them.
   *
   * @default - sum over 5 minutes
   * @see https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
   */
  public metricAsyncEventsDropped(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metric('AsyncEventsDropped', { statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...props });
  }
}

/** Lambda destinations support neither FIFO queues nor FIFO topics. */
function validateDestination(prop: string, destination?: lambda.IDestination): void {
  if (!destination) return;
  // The aws-cdk-lib destinations keep their target in a `queue` or `topic` field.
  const target = (destination as any).queue ?? (destination as any).topic;
  if (target?.fifo === true) {
    throw new Error(`${prop} must be a standard queue or topic: Lambda destinations do not support FIFO, got the FIFO ${(destination as any).queue ? 'queue' : 'topic'} ${target.node.path}`);
  }
}

function describe(value: unknown): string {
  if (value instanceof Duration) return value.toHumanString();
  if (typeof value === 'object' && value !== null) return value.constructor.name;
  return String(value);
}
