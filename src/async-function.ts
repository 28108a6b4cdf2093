import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
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
 *   exhausted, for a destination other than a `DeadLetterQueue` (a topic, a
 *   function, an event bus); give either `onFailure` or `deadLetterQueue`.
 *   A FIFO queue or topic is refused (Lambda destinations do not support
 *   them). Default: `deadLetterQueue`, not aws-cdk-lib's "no destination".
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
   * Where Lambda sends the record of an event (the request, the error) once
   * its retries or its age are exhausted, through an SQS destination. A
   * standard queue: Lambda destinations do not support FIFO. Give either
   * `deadLetterQueue` or `onFailure` (another kind of destination), not both.
   *
   * @default - a new `DeadLetterQueue` (14 days retention, depth alarm), unless `onFailure` is given
   * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
   */
  readonly deadLetterQueue?: DeadLetterQueue;

  /**
   * The KMS key that encrypts the dead-letter queue this construct creates.
   * The function is granted `kms:GenerateDataKey` and `kms:Decrypt` on it to
   * send there. Only for the queue it creates: a `deadLetterQueue` you give
   * has its own key.
   *
   * @default - SQS-managed server-side encryption (SSE-SQS)
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What the alarms do when they fire (and recover). A shared
   * `deadLetterQueue` keeps its own alarm action.
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

  /** The dead-letter queue that receives failed events: the one given or created; none when `onFailure` is another destination. */
  public readonly deadLetterQueue?: DeadLetterQueue;

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
    if (props.onFailure && props.deadLetterQueue) {
      throw new Error(`AsyncFunction takes either deadLetterQueue or onFailure, not both: got deadLetterQueue ${props.deadLetterQueue.node.path} and an onFailure ${props.onFailure.constructor.name}`);
    }
    if (props.deadLetterQueue?.fifo) {
      throw new Error(`deadLetterQueue must be a standard queue: Lambda destinations do not support FIFO, got the FIFO queue ${props.deadLetterQueue.node.path}`);
    }
    if (props.encryptionKey && (props.deadLetterQueue || props.onFailure)) {
      throw new Error(`encryptionKey encrypts the dead-letter queue AsyncFunction creates, and it creates none when ${props.deadLetterQueue ? 'deadLetterQueue' : 'onFailure'} is given: `
        + `encrypt that destination yourself, got encryptionKey ${props.encryptionKey.node.path}`);
    }
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
    if (!props.onFailure) {
      this.deadLetterQueue = props.deadLetterQueue
        ?? new DeadLetterQueue(this, 'DeadLetterQueue', { encryptionKey: props.encryptionKey, alarmAction: props.alarmAction });
    }
    const onFailure = this.deadLetterQueue ? new destinations.SqsDestination(this.deadLetterQueue.queue) : props.onFailure;
    this.function.configureAsyncInvoke({
      retryAttempts: this.retryAttempts,
      maxEventAge: this.maxEventAge,
      onFailure: onFailure && new StandardDestination('onFailure', onFailure, this),
      onSuccess: props.onSuccess && new StandardDestination('onSuccess', props.onSuccess, this),
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
  }

  /** The alarms: the dead-letter queue's depth (when there is one), errors, throttles, dropped events. */
  public get alarms(): cloudwatch.Alarm[] {
    return [
      ...(this.deadLetterQueue ? [this.deadLetterQueue.depthAlarm] : []),
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

/**
 * A destination that is refused when it is a FIFO queue or topic, which
 * Lambda destinations do not support. What it is comes from what it binds to
 * (the ARN aws-cdk-lib's destination returns), matched against the app's
 * queues and topics: an ARN of a queue or topic of this app, or an imported
 * ARN ending in `.fifo`.
 */
class StandardDestination implements lambda.IDestination {
  constructor(private readonly prop: string, private readonly destination: lambda.IDestination, private readonly owner: IConstruct) {}

  public bind(scope: Construct, fn: lambda.IFunction, options?: lambda.DestinationOptions): lambda.DestinationConfig {
    const config = this.destination.bind(scope, fn, options);
    const fifo = fifoTargetOf(this.owner, config.destination);
    if (fifo) {
      throw new Error(`${this.prop} must be a standard queue or topic: Lambda destinations do not support FIFO, got the FIFO ${fifo}`);
    }
    return config;
  }
}

/** `queue <path>` or `topic <path>` when `arn` is the ARN of a FIFO queue or topic, `undefined` otherwise. */
function fifoTargetOf(scope: IConstruct, arn: string): string | undefined {
  const stack = Stack.of(scope);
  const wanted = JSON.stringify(stack.resolve(arn));
  for (const node of stack.node.root.node.findAll()) {
    const isQueue = node instanceof sqs.QueueBase;
    if ((!isQueue && !(node instanceof sns.TopicBase)) || !node.fifo) continue;
    const candidate = isQueue ? (node as sqs.IQueue).queueArn : (node as sns.ITopic).topicArn;
    if (JSON.stringify(stack.resolve(candidate)) === wanted) return `${isQueue ? 'queue' : 'topic'} ${node.node.path}`;
  }
  // A destination built from an ARN alone: FIFO queues and topics are named `<name>.fifo`.
  const service = Token.isUnresolved(arn) ? undefined : /^arn:[^:]+:(sqs|sns):/.exec(arn)?.[1];
  return service && arn.endsWith('.fifo') ? `${service === 'sqs' ? 'queue' : 'topic'} ${arn}` : undefined;
}

function describe(value: unknown): string {
  if (value instanceof Duration) return value.toHumanString();
  if (typeof value === 'object' && value !== null) return value.constructor.name;
  return String(value);
}
