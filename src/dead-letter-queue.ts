import { Annotations, Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { thresholdAlarm } from './private/alarms';
import { DEFAULTS, LIMITS } from './private/defaults';
import { validateDurationRange } from './private/validation';
import { WARNING_IDS } from './private/warnings';

/**
 * Properties of a `DeadLetterQueue`.
 */
export interface DeadLetterQueueProps {
  /**
   * Whether this is a FIFO queue. A FIFO source needs a FIFO dead-letter queue
   * and a standard source a standard one.
   *
   * @default false
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
   */
  readonly fifo?: boolean;

  /**
   * How long a failed message is kept.
   *
   * SQS counts a message's age from when it was first sent to its source
   * queue, not from when it moved here, so the dead-letter queue must keep
   * messages longer than any of its sources does.
   *
   * Valid range: 60 seconds - 14 days.
   *
   * @default Duration.days(14) (the SQS maximum)
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
   */
  readonly retentionPeriod?: Duration;

  /**
   * The KMS key that encrypts the queue.
   *
   * @default - SQS-managed server-side encryption (SSE-SQS)
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What the depth alarm does when it fires (and when it recovers).
   *
   * @default - the `DefaultAlarmAction` of the nearest scope that has one, or no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
}

/**
 * An SQS queue built to hold what failed.
 *
 * It comes with:
 * - 14 days retention, server-side encryption, TLS-only queue policy;
 * - a redrive-allow policy that lets only its sources use it;
 * - an alarm as soon as one message arrives (a message here is an incident);
 * - `grantRedrive()` to move the messages back to their sources once the cause is fixed.
 *
 * One dead-letter queue can serve several sources.
 */
export class DeadLetterQueue extends Construct {
  /** The SQS queue. */
  public readonly queue: sqs.Queue;

  /** Fires when at least one message is visible in the queue. */
  public readonly depthAlarm: cloudwatch.Alarm;

  /** Whether this is a FIFO queue. */
  public readonly fifo: boolean;

  /** How long a failed message is kept. */
  public readonly retentionPeriod: Duration;

  /** The KMS key that encrypts the queue, if any. */
  public readonly encryptionKey?: kms.IKey;

  private readonly sources: Source[] = [];
  private readonly redriveGrantees: iam.IGrantable[] = [];

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps = {}) {
    super(scope, id);

    validateDurationRange('retentionPeriod', props.retentionPeriod, LIMITS.retention.min, LIMITS.retention.max);

    this.fifo = props.fifo ?? false;
    this.retentionPeriod = props.retentionPeriod ?? DEFAULTS.deadLetterRetention;
    this.encryptionKey = props.encryptionKey;

    this.queue = new sqs.Queue(this, 'Resource', {
      fifo: this.fifo ? true : undefined,
      retentionPeriod: this.retentionPeriod,
      encryption: props.encryptionKey ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
    });

    Validations.of(this.queue).acknowledge(
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This queue is itself a dead-letter queue: nothing consumes it that could fail; its messages are redriven to their sources.',
      },
      {
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself a dead-letter queue (of SQS redrive, Lambda destinations or EventBridge targets), so it needs none of its own.',
      },
    );

    const cfnQueue = this.queue.node.defaultChild as sqs.CfnQueue;
    cfnQueue.redriveAllowPolicy = Lazy.any({ produce: () => this.renderRedriveAllowPolicy() });

    this.depthAlarm = thresholdAlarm(this, 'DepthAlarm', {
      metric: this.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 1,
      description: 'Messages in a dead-letter queue: fix the cause, then redrive them.',
      alarmAction: props.alarmAction,
    });
  }

  /** The alarms: the queue's depth. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.depthAlarm];
  }

  /**
   * Lets `queue` move its failed messages here, and lets `grantRedrive()`
   * move them back (with its KMS key, when it has one).
   *
   * Its redrive policy names this queue, so the redrive-allow policy here must
   * not reference it, or CloudFormation sees a dependency cycle: a queue of
   * this app must have a `queueName`, from which its ARN is built; an imported
   * queue (`sqs.Queue.fromQueueArn()`, `fromQueueAttributes()`) is named by its ARN.
   *
   * Up to 10 sources are named in the queue's redrive-allow policy (the SQS
   * limit); beyond that, any queue of the account may use this one, with a warning.
   */
  public addSource(queue: sqs.IQueue): void {
    const source: Source = { queueArn: sourceQueueArn(queue), encryptionKey: queue.encryptionMasterKey };
    this.sources.push(source);
    for (const grantee of this.redriveGrantees) {
      grantSendToSource(grantee, source);
    }
    if (this.sources.length === LIMITS.redriveAllowSources + 1) {
      Annotations.of(this).addWarningV2(WARNING_IDS.deadLetterQueueManySources,
        `This dead-letter queue serves ${this.sources.length} sources, more than the ${LIMITS.redriveAllowSources} that an SQS redrive-allow policy can name, so any queue in the account may now use it. Use one dead-letter queue per ${LIMITS.redriveAllowSources} sources to keep it restricted.`);
    }
  }

  /** The ARNs of the queues that move their failed messages here. */
  public get sourceQueueArns(): string[] {
    return this.sources.map(s => s.queueArn);
  }

  /**
   * Grants what it takes to start, list and cancel a message move task that
   * redrives this queue's messages back to their sources, and nothing more.
   *
   * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html
   */
  public grantRedrive(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'sqs:StartMessageMoveTask',
        'sqs:ListMessageMoveTasks',
        'sqs:CancelMessageMoveTask',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
      ],
      resourceArns: [this.queue.queueArn],
    });
    this.encryptionKey?.grantDecrypt(grantee);
    this.redriveGrantees.push(grantee);
    for (const source of this.sources) {
      grantSendToSource(grantee, source);
    }
    return grant;
  }

  /**
   * The number of messages waiting in the queue.
   *
   * @default - maximum over 5 minutes
   */
  public metricApproximateNumberOfMessagesVisible(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * The age of the oldest message in the queue. SQS deletes a message once
   * its age, counted from when it entered its source queue, reaches the
   * retention period.
   *
   * @default - maximum over 5 minutes
   */
  public metricApproximateAgeOfOldestMessage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  private renderRedriveAllowPolicy(): any {
    if (this.sources.length === 0) {
      return undefined;
    }
    if (this.sources.length > LIMITS.redriveAllowSources) {
      return { redrivePermission: sqs.RedrivePermission.ALLOW_ALL };
    }
    return {
      redrivePermission: sqs.RedrivePermission.BY_QUEUE,
      sourceQueueArns: this.sourceQueueArns,
    };
  }
}

/**
 * A redrive writes the messages back to their source queue; sending to a queue
 * encrypted with a customer-managed key needs kms:GenerateDataKey and kms:Decrypt.
 */
function grantSendToSource(grantee: iam.IGrantable, source: Source): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['sqs:SendMessage'], resourceArns: [source.queueArn] });
  source.encryptionKey?.grantEncryptDecrypt(grantee);
}

/** A source queue, as the redrive-allow policy and the redrive grants name it. */
interface Source {
  readonly queueArn: string;
  readonly encryptionKey?: kms.IKey;
}

/**
 * The ARN of a source queue that does not reference it: built from the
 * `queueName` of a queue of this app (its redrive policy names the dead-letter
 * queue, so a reference would be a dependency cycle), as given for an imported one.
 */
function sourceQueueArn(queue: sqs.IQueue): string {
  const cfn = queue.node.defaultChild;
  if (!(cfn instanceof sqs.CfnQueue)) return queue.queueArn;
  // aws-cdk-lib renders the name lazily (a physical name it may generate): resolved, it is absent when none was given.
  const name = cfn.queueName;
  if (name === undefined || Stack.of(queue).resolve(name) === undefined) {
    throw new Error('addSource needs a queue with a queueName (its ARN is built from the name: a reference to the queue would be a dependency cycle, '
      + `since its redrive policy names this dead-letter queue), got ${queue.node.path} without one`);
  }
  return Stack.of(queue).formatArn({ service: 'sqs', resource: name });
}
