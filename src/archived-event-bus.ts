import { Duration, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import { thresholdAlarm } from './private/alarms';
import { DEFAULTS, LIMITS } from './private/defaults';
import { allowServiceToUseKey } from './private/kms';
import { acknowledgeGrantedWildcard, nagArnPrefix } from './private/nag';
import { deterministicName } from './private/names';
import { newestNodeRuntime } from './private/runtimes';
import { formatDuration, validateDurationRange, validateNumberRange } from './private/validation';
import { ReplayFunction } from './replay-function';
import { REPLAY_ENV } from './runtime/contract';

/**
 * Properties of an `ArchivedEventBus`.
 */
export interface ArchivedEventBusProps {
  /**
   * The name of the event bus.
   *
   * The bus is always named: its ARN, built from the name, lets the key policy
   * and the archive refer to the bus without a dependency cycle.
   *
   * @default - a name derived from the stack name and the construct path
   */
  readonly eventBusName?: string;

  /**
   * How long the archive keeps events, in whole days; `Duration.days(0)` keeps them forever.
   *
   * @default Duration.days(30)
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-archive.html
   */
  readonly archiveRetention?: Duration;

  /**
   * Which events the archive keeps.
   *
   * @default - every event put on this bus
   */
  readonly archiveEventPattern?: events.EventPattern;

  /**
   * The KMS key that encrypts the bus, the archive and the dead-letter queue
   * this construct creates. Its key policy lets EventBridge use it for this
   * bus, so it must be a `kms.Key` of this app: an imported key or an alias,
   * whose policy the app cannot change, is refused (EventBridge could not
   * encrypt what it sends to the dead-letter queue, which would be lost).
   *
   * @default - AWS-owned keys (bus, archive) and SSE-SQS (dead-letter queue)
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-at-rest.html
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Where every rule's targets send the events they could not deliver, and
   * where the bus sends events it could not process. A standard queue
   * (EventBridge does not support FIFO dead-letter queues).
   *
   * @default - a new `DeadLetterQueue`
   */
  readonly deadLetterQueue?: DeadLetterQueue;

  /**
   * How many times EventBridge retries a target that fails, for targets that
   * do not set their own retry policy.
   *
   * Valid range: 0-185.
   *
   * @default 185
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
   */
  readonly targetRetryAttempts?: number;

  /**
   * How long EventBridge retries a target that fails, for targets that do not
   * set their own retry policy.
   *
   * Valid range: 60 seconds - 24 hours.
   *
   * @default Duration.hours(24)
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
   */
  readonly targetMaxEventAge?: Duration;

  /**
   * What the alarms do when they fire (and recover). A shared
   * `deadLetterQueue` keeps its own alarm action.
   *
   * @default - the `DefaultAlarmAction` of the nearest scope that has one, or no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;

  /**
   * The runtime of the replay function the bus deploys. cdk-nag's
   * `AwsSolutions-L1` asks for the newest Node.js runtime the app's
   * aws-cdk-lib knows, which the default follows; give one for a region
   * where that runtime is not yet available.
   *
   * @default - the newest Node.js runtime of the app's aws-cdk-lib (`nodejs24.x` on 2.269, `nodejs26.x` on 2.278)
   * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
   */
  readonly replayFunctionRuntime?: lambda.Runtime;
}

/**
 * Options of `ArchivedEventBus.addRule()`.
 */
export interface ArchivedEventBusRuleOptions {
  /**
   * The events the rule matches. Must not be empty.
   */
  readonly eventPattern: events.EventPattern;

  /**
   * The targets (aws-cdk-lib `aws-events-targets`), 1 to 5. Each gets the
   * bus's dead-letter queue and retry policy unless it sets its own.
   */
  readonly targets: events.IRuleTarget[];

  /**
   * Whether the rule also matches replayed events. Set `false` for targets
   * that are not idempotent: the rule then refuses events that carry
   * `replay-name`, which EventBridge adds to every replayed event.
   *
   * @default true
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-replay-archived-event.html
   */
  readonly acceptReplays?: boolean;

  /**
   * A description of the rule.
   *
   * @default - none
   */
  readonly description?: string;
}

/**
 * A rule that `ArchivedEventBus.addRule()` added, and the alarm it made for it.
 */
export interface ArchivedEventBusRule {
  /** The rule. */
  readonly rule: events.Rule;

  /**
   * Fires when the rule could deliver events neither to a target nor to the
   * dead-letter queue: they are lost but for the archive.
   */
  readonly deadLetterFailuresAlarm: cloudwatch.Alarm;
}

/**
 * A custom EventBridge bus whose events are archived and can be replayed, and
 * whose rules never drop an event.
 *
 * - an archive of every event (30 days by default);
 * - rules whose targets always get a dead-letter queue and a retry policy
 *   (185 retries over 24 hours by default);
 * - an alarm when an event reaches the dead-letter queue, and one when a
 *   rule could not even deliver it there;
 * - a replay function, invoked with a time window, and `grantReplay()`.
 */
export class ArchivedEventBus extends Construct {
  /** The event bus. */
  public readonly eventBus: events.EventBus;

  /** The archive of the bus's events. */
  public readonly archive: events.Archive;

  /** Where targets send the events they could not deliver. */
  public readonly deadLetterQueue: DeadLetterQueue;

  /** Replays a window of archived events: invoke it with `{ "from": ISO-8601, "to": ISO-8601, "ruleArns"?: [...] }`. */
  public readonly replayFunction: lambda.IFunction;


  /** How long the archive keeps events (0 days: forever). */
  public readonly archiveRetention: Duration;

  /** The name of the event bus. */
  public readonly eventBusName: string;

  /** The ARN of the event bus, built from its name. */
  public readonly eventBusArn: string;

  /** The replay function names its replays with this prefix; `grantReplay()` covers replays so named. */
  public readonly replayNamePrefix: string;

  /** How many times a target that sets no retry policy of its own is retried. */
  public readonly targetRetryAttempts: number;

  /** How long a target that sets no retry policy of its own is retried. */
  public readonly targetMaxEventAge: Duration;

  private readonly alarmAction?: cloudwatch.IAlarmAction;
  private rulesScope?: Construct;
  private readonly addedRules: ArchivedEventBusRule[] = [];

  constructor(scope: Construct, id: string, props: ArchivedEventBusProps = {}) {
    super(scope, id);

    validateNumberRange('targetRetryAttempts', props.targetRetryAttempts, LIMITS.targetRetryAttempts.min, LIMITS.targetRetryAttempts.max);
    validateDurationRange('targetMaxEventAge', props.targetMaxEventAge, LIMITS.targetMaxEventAge.min, LIMITS.targetMaxEventAge.max);
    validateEventBusName(props.eventBusName);
    this.archiveRetention = props.archiveRetention ?? DEFAULTS.archiveRetention;
    if (!this.archiveRetention.isUnresolved() && this.archiveRetention.toSeconds() % 86_400 !== 0) {
      throw new Error(`archiveRetention must be whole days (Duration.days(0) keeps events forever), got ${formatDuration(this.archiveRetention)}`);
    }
    if (props.deadLetterQueue?.fifo) {
      throw new Error(`deadLetterQueue must be a standard queue: EventBridge does not support FIFO dead-letter queues, got the FIFO queue ${props.deadLetterQueue.node.path}`);
    }
    this.targetRetryAttempts = props.targetRetryAttempts ?? DEFAULTS.targetRetryAttempts;
    this.targetMaxEventAge = props.targetMaxEventAge ?? DEFAULTS.targetMaxEventAge;
    this.alarmAction = props.alarmAction;

    this.eventBusName = props.eventBusName ?? deterministicName(this, LIMITS.eventBusName);
    this.eventBusArn = Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: this.eventBusName });
    this.replayNamePrefix = deterministicName(this, LIMITS.replayNamePrefix);

    this.deadLetterQueue = props.deadLetterQueue ?? new DeadLetterQueue(this, 'DeadLetterQueue', {
      encryptionKey: props.encryptionKey,
      alarmAction: props.alarmAction,
    });
    this.allowEventBridgeToSend(this.eventBusArn);
    // EventBridge encrypts the bus and the archive with the bus's key, and what it sends to a KMS-encrypted
    // dead-letter queue with that queue's key: each key policy must let it (an imported key's cannot).
    const keys = new Map<kms.IKey, string>();
    if (this.deadLetterQueue.encryptionKey) keys.set(this.deadLetterQueue.encryptionKey, `the dead-letter queue of ${this.node.path}`);
    if (props.encryptionKey && !keys.has(props.encryptionKey)) keys.set(props.encryptionKey, `the event bus ${this.node.path} (encryptionKey)`);
    for (const [key, encrypts] of keys) {
      allowServiceToUseKey(this, key, {
        servicePrincipal: 'events.amazonaws.com',
        serviceName: 'EventBridge',
        encrypts,
        loss: 'every event it could not deliver to a target',
        instead: 'a kms.Key of this app as encryptionKey (its key policy then lets EventBridge use it), or no key (AWS-owned keys and SSE-SQS)',
      });
    }

    this.eventBus = new events.EventBus(this, 'Resource', {
      eventBusName: this.eventBusName,
      kmsKey: props.encryptionKey,
      deadLetterQueue: this.deadLetterQueue.queue,
    });

    // The archive names the bus by its ARN built from the name, not by a
    // reference: the key policy that the archive adds names the bus while
    // the bus names the key, which would otherwise be a dependency cycle.
    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: events.EventBus.fromEventBusArn(this, 'ArchiveSource', this.eventBusArn),
      eventPattern: props.archiveEventPattern ?? {},
      retention: this.archiveRetention,
      kmsKey: props.encryptionKey,
      description: `Every event of ${this.eventBusName}${props.archiveEventPattern ? ' that matches the archive pattern' : ''}`,
    });
    this.archive.node.addDependency(this.eventBus);

    const replayFunction = new ReplayFunction(this, 'ReplayFunction', {
      description: `Replays archived events onto ${this.eventBusName}`.slice(0, 256),
      timeout: DEFAULTS.replayFunctionTimeout,
      memorySize: DEFAULTS.replayFunctionMemorySize,
      runtime: props.replayFunctionRuntime ?? newestNodeRuntime(),
      architecture: lambda.Architecture.ARM_64,
      environment: {
        [REPLAY_ENV.archiveArn]: this.archive.archiveArn,
        [REPLAY_ENV.eventBusArn]: this.eventBusArn,
        [REPLAY_ENV.archiveRetentionDays]: String(this.archiveRetention.toDays()),
        [REPLAY_ENV.replayNamePrefix]: this.replayNamePrefix,
      },
    });
    Validations.of(replayFunction).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason: 'An operator invokes the replay function synchronously and sees its result; there is no asynchronous event to keep.',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason: 'The replay function makes one StartReplay call and polls DescribeReplay; it logs every replay it starts and how it ended.',
      },
      {
        // aws-cdk-lib names AWS managed policies with the partition pseudo parameter, whatever the feature flags.
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'AWSLambdaBasicExecutionRole only lets the replay function write its own CloudWatch Logs.',
      },
    );
    this.grantReplay(replayFunction);
    this.replayFunction = replayFunction;
  }

  /** The alarms: the dead-letter queue's depth, and the alarm of each rule added with `addRule()`, whenever read. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.deadLetterQueue.depthAlarm, ...this.addedRules.map(r => r.deadLetterFailuresAlarm)];
  }

  /** The rules added with `addRule()`, each with its alarm. */
  public get rules(): ArchivedEventBusRule[] {
    return [...this.addedRules];
  }

  /**
   * Adds a rule whose targets get the bus's dead-letter queue and retry
   * policy (unless a target sets its own), and an alarm on the events it
   * could deliver to neither; returns both (the alarm also joins `alarms`).
   */
  public addRule(id: string, options: ArchivedEventBusRuleOptions): ArchivedEventBusRule {
    if (!options.targets || options.targets.length < 1 || options.targets.length > LIMITS.targetsPerRule) {
      throw new Error(`targets must list 1 to ${LIMITS.targetsPerRule} targets (an EventBridge rule's limit), got ${options.targets?.length ?? 0}`);
    }
    if (!options.eventPattern || Object.values(options.eventPattern).every(v => v === undefined)) {
      throw new Error(`eventPattern must match something: an empty pattern matches no event, got ${JSON.stringify(options.eventPattern)}`);
    }
    this.rulesScope ??= new Construct(this, 'Rules');
    const rule = new events.Rule(this.rulesScope, id, {
      eventBus: this.eventBus,
      eventPattern: options.eventPattern,
      description: options.description,
    });
    let deadLettersAllowed = false;
    const defaults: TargetDefaults = {
      deadLetterConfig: () => {
        if (!deadLettersAllowed) {
          this.allowEventBridgeToSend(rule.ruleArn);
          deadLettersAllowed = true;
        }
        return { arn: this.deadLetterQueue.queue.queueArn };
      },
      retryPolicy: {
        maximumRetryAttempts: this.targetRetryAttempts,
        maximumEventAgeInSeconds: this.targetMaxEventAge.toSeconds(),
      },
    };
    for (const target of options.targets) {
      rule.addTarget(new ResilientTarget(target, defaults));
    }
    if (options.acceptReplays === false) {
      (rule.node.defaultChild as events.CfnRule).addPropertyOverride('EventPattern.replay-name', [{ exists: false }]);
    }
    // A target added later with rule.addTarget() would get neither the dead-letter queue nor the retry policy.
    rule.node.addValidation({ validate: () => targetsWithoutDefaults(rule) });
    const added: ArchivedEventBusRule = {
      rule,
      deadLetterFailuresAlarm: thresholdAlarm(rule, 'DeadLetterFailuresAlarm', {
        metric: this.metricInvocationsFailedToBeSentToDlq(rule),
        threshold: 1,
        description: `Rule ${rule.node.path} could not deliver events to a target nor to its dead-letter queue: these events are lost (replay them from the archive once the dead-letter queue is fixed).`,
        alarmAction: this.alarmAction,
      }),
    };
    this.addedRules.push(added);
    return added;
  }

  /**
   * The events of `rule` (a rule of this bus) that reached neither their
   * target nor the dead-letter queue, as each rule's alarm watches them:
   * these events are lost but for the archive.
   *
   * @default - sum over 5 minutes
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
   */
  public metricInvocationsFailedToBeSentToDlq(rule: events.IRule, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'InvocationsFailedToBeSentToDlq',
      // On a custom bus, the rule's Ref is `<bus>|<rule>`; the metric names the rule alone.
      dimensionsMap: { EventBusName: this.eventBusName, RuleName: Fn.select(1, Fn.split('|', rule.ruleName)) },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * Grants permission to put events on the bus (as `events.EventBus.grantPutEventsTo()`).
   */
  public grantPutEventsTo(grantee: iam.IGrantable): iam.Grant {
    return this.eventBus.grantPutEventsTo(grantee);
  }

  /**
   * Grants what it takes to start a replay from this archive, and to
   * describe and cancel replays named with `replayNamePrefix`, and nothing more.
   *
   * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_StartReplay.html
   */
  public grantReplay(grantee: iam.IGrantable): iam.Grant {
    const replayArn = Stack.of(this).formatArn({ service: 'events', resource: 'replay', resourceName: `${this.replayNamePrefix}*` });
    acknowledgeGrantedWildcard(grantee, `${nagArnPrefix(this, 'events')}:replay/${this.replayNamePrefix}*`,
      'A replay is named when it starts; the grant covers only the replays named with this bus\'s replay prefix.');
    return iam.Grant.addToPrincipal({ grantee, actions: ['events:StartReplay'], resourceArns: [this.archive.archiveArn] })
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['events:DescribeReplay', 'events:CancelReplay'], resourceArns: [replayArn] }));
  }

  /** Lets EventBridge send to the dead-letter queue what `sourceArn` (the bus or a rule) could not deliver. */
  private allowEventBridgeToSend(sourceArn: string): void {
    this.deadLetterQueue.queue.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [this.deadLetterQueue.queue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': sourceArn } },
    }));
  }
}

/** The dead-letter queue and retry policy a target gets unless it sets its own. */
interface TargetDefaults {
  readonly deadLetterConfig: () => events.CfnRule.DeadLetterConfigProperty;
  readonly retryPolicy: events.CfnRule.RetryPolicyProperty;
}

/**
 * A rule target that always has a dead-letter queue and a retry policy: the
 * bus's, unless the target sets its own.
 */
class ResilientTarget implements events.IRuleTarget {
  constructor(private readonly target: events.IRuleTarget, private readonly defaults: TargetDefaults) {}

  public bind(rule: events.IRule, id?: string): events.RuleTargetConfig {
    const config = this.target.bind(rule, id);
    return {
      ...config,
      deadLetterConfig: config.deadLetterConfig ?? this.defaults.deadLetterConfig(),
      retryPolicy: config.retryPolicy ?? this.defaults.retryPolicy,
    };
  }
}

/**
 * The targets of `rule` that lack a dead-letter queue or a retry policy: a
 * target added with `rule.addTarget()` after `addRule()` skips the bus's
 * defaults. Add every target in `addRule()`, or give it its own.
 */
function targetsWithoutDefaults(rule: events.Rule): string[] {
  const targets = Stack.of(rule).resolve((rule.node.defaultChild as events.CfnRule).targets) as events.CfnRule.TargetProperty[] | undefined;
  return (targets ?? [])
    .filter(target => target.deadLetterConfig === undefined || target.retryPolicy === undefined)
    .map(target => `target ${target.id} of ${rule.node.path} has no ${target.deadLetterConfig === undefined ? 'dead-letter queue' : 'retry policy'}: `
      + 'a target added with rule.addTarget() after ArchivedEventBus.addRule() skips the bus\'s dead-letter queue and retry policy; '
      + 'pass every target to addRule() (or give the target its own deadLetterQueue, retryAttempts and maxEventAge)');
}

function validateEventBusName(name?: string): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  if (name === 'default' || !/^[.\-_A-Za-z0-9]{1,256}$/.test(name)) {
    throw new Error(`eventBusName must be 1-256 letters, digits, '.', '-' or '_', and not 'default', got '${name}'`);
  }
}
