import { Duration, Names, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import { thresholdAlarm } from './private/alarms';
import { AWS_MANAGED_SNS_KEY_ALIAS, LIMITS } from './private/defaults';
import { allowServiceToUseKey } from './private/kms';

/** A FIFO topic's name ends with `.fifo`, counted in its length. */
const FIFO_SUFFIX = '.fifo';

/**
 * Properties of a `FanOutTopic`.
 */
export interface FanOutTopicProps {
  /**
   * Whether the topic is FIFO: messages of one message group are delivered in
   * order, and duplicates within 5 minutes are dropped. A FIFO topic delivers
   * to SQS queues only (FIFO or standard), and every subscription's
   * dead-letter queue is FIFO.
   *
   * @default false
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-fifo-topics.html
   */
  readonly fifo?: boolean;

  /**
   * Whether a FIFO topic deduplicates messages by a SHA-256 hash of their
   * body, so that publishers need not give a deduplication id. Only with `fifo: true`.
   *
   * @default false
   * @see https://docs.aws.amazon.com/sns/latest/dg/fifo-message-dedup.html
   */
  readonly contentBasedDeduplication?: boolean;

  /**
   * The KMS key that encrypts the topic's messages at rest, and the
   * dead-letter queue this construct creates when the key is a `kms.Key` of
   * this app (an imported key or an alias cannot let SNS use it, so that
   * queue uses SSE-SQS). Publishers need
   * `kms:GenerateDataKey` and `kms:Decrypt` on it (`grantPublish()` grants
   * them). Subscribers need nothing on it: SNS decrypts a message before it
   * delivers it.
   *
   * The AWS managed key of SNS (`kms.Alias.fromAliasName(this, 'Sns', 'alias/aws/sns')`)
   * costs nothing, but its key policy cannot let an AWS service (CloudWatch
   * alarms, EventBridge, S3) publish: `grantPublish()` refuses a service principal then.
   *
   * @default - a new customer-managed key with rotation (the topic), and SSE-SQS (the dead-letter queue it creates)
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Where every subscription without a dead-letter queue of its own sends
   * the messages SNS could not deliver. FIFO for a FIFO topic, standard otherwise.
   *
   * @default - a new `DeadLetterQueue` (FIFO for a FIFO topic)
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html
   */
  readonly deadLetterQueue?: DeadLetterQueue;

  /**
   * What the alarms do when they fire (and recover). A shared
   * `deadLetterQueue` keeps its own alarm action.
   *
   * @default - the `DefaultAlarmAction` of the nearest scope that has one, or no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;

  /**
   * The name of the topic: 1-256 letters, digits, `-` and `_`; a FIFO topic's
   * name ends with `.fifo`.
   *
   * @default - a name CloudFormation (standard) or aws-cdk-lib (FIFO) generates
   */
  readonly topicName?: string;
}

/**
 * An SNS topic whose every subscription has a dead-letter queue: a message
 * SNS could not deliver is kept, never dropped.
 *
 * - `addSubscription()` takes the ordinary aws-cdk-lib subscriptions
 *   (`SqsSubscription`, `LambdaSubscription`, ...) and gives each the
 *   topic's dead-letter queue, unless it has its own, and the queue policy
 *   that lets SNS send to it;
 * - SQS subscribers get raw message delivery unless they say otherwise;
 * - the topic is encrypted (a customer-managed key by default) and refuses
 *   publishing without TLS;
 * - alarms on failed deliveries, on deliveries that could not even reach the
 *   dead-letter queue, and on the dead-letter queue's depth.
 *
 * A Lambda subscriber is invoked asynchronously: the subscription's
 * dead-letter queue keeps only what SNS could not deliver, not the
 * function's own failures (use `AsyncFunction` for those).
 */
export class FanOutTopic extends Construct {
  /** The SNS topic. */
  public readonly topic: sns.Topic;

  /** Where subscriptions without a dead-letter queue of their own send what SNS could not deliver. */
  public readonly deadLetterQueue: DeadLetterQueue;

  /** The KMS key that encrypts the topic. */
  public readonly encryptionKey: kms.IKey;

  /** Whether the topic is FIFO. */
  public readonly fifo: boolean;

  /**
   * Fires when SNS could not deliver a message to a subscriber (for an SQS or
   * Lambda subscriber: once SNS stops trying); the message went to the
   * subscription's dead-letter queue.
   */
  public readonly notificationsFailedAlarm: cloudwatch.Alarm;

  /** Fires when SNS could deliver a message neither to its subscriber nor to the dead-letter queue: the message is lost. */
  public readonly notificationsFailedToRedriveToDlqAlarm: cloudwatch.Alarm;

  /** The subscriptions' own `DeadLetterQueue`s, whose depth alarms join `alarms`. */
  private readonly subscriptionDeadLetterQueues: DeadLetterQueue[] = [];

  constructor(scope: Construct, id: string, props: FanOutTopicProps = {}) {
    super(scope, id);

    this.fifo = props.fifo ?? false;
    validateProps(props, this.fifo);

    this.deadLetterQueue = props.deadLetterQueue ?? new DeadLetterQueue(this, 'DeadLetterQueue', {
      fifo: this.fifo,
      // A key of this app can let SNS use it; an imported key or an alias cannot be changed: SSE-SQS then.
      encryptionKey: props.encryptionKey instanceof kms.Key ? props.encryptionKey : undefined,
      alarmAction: props.alarmAction,
    });
    if (this.deadLetterQueue.fifo !== this.fifo) {
      throw new Error(`deadLetterQueue must be ${this.fifo ? 'FIFO' : 'standard'} like the topic (fifo: ${this.fifo}): SNS refuses a `
        + `${this.deadLetterQueue.fifo ? 'FIFO' : 'standard'} dead-letter queue for a ${this.fifo ? 'FIFO' : 'standard'} topic's subscriptions, `
        + `got the ${this.deadLetterQueue.fifo ? 'FIFO' : 'standard'} queue ${this.deadLetterQueue.node.path}`);
    }
    this.letSnsEncryptWith(this.deadLetterQueue.encryptionKey);

    this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'Key', {
      description: `Encrypts the messages of the SNS topic ${this.node.path}`,
      enableKeyRotation: true,
    });

    // Not 'Resource': LambdaSubscription names a subscription after the topic's id, under the
    // function, whose own child 'Resource' it would collide with.
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      fifo: this.fifo ? true : undefined,
      contentBasedDeduplication: props.contentBasedDeduplication,
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });

    this.notificationsFailedAlarm = thresholdAlarm(this, 'NotificationsFailedAlarm', {
      metric: this.metricNumberOfNotificationsFailed(),
      threshold: 1,
      description: `SNS could not deliver messages of ${this.node.path} to a subscriber; they are in the subscription's dead-letter queue: `
        + 'fix the subscriber (or its policy), then send them again.',
      alarmAction: props.alarmAction,
    });
    this.notificationsFailedToRedriveToDlqAlarm = thresholdAlarm(this, 'NotificationsFailedToRedriveToDlqAlarm', {
      metric: this.metricNumberOfNotificationsFailedToRedriveToDlq(),
      threshold: 1,
      description: `SNS could deliver messages of ${this.node.path} neither to a subscriber nor to its dead-letter queue: these messages are lost. `
        + 'Check the dead-letter queue\'s policy and key.',
      alarmAction: props.alarmAction,
    });
  }

  /**
   * The alarms, whenever read: the dead-letter queue's depth, failed
   * deliveries, deliveries lost, and the depth alarms of the `DeadLetterQueue`s
   * that subscriptions added with `addSubscription()` bring.
   */
  public get alarms(): cloudwatch.Alarm[] {
    return [
      this.deadLetterQueue.depthAlarm, this.notificationsFailedAlarm, this.notificationsFailedToRedriveToDlqAlarm,
      ...this.subscriptionDeadLetterQueues.map(q => q.depthAlarm).filter(a => a !== this.deadLetterQueue.depthAlarm),
    ];
  }

  /**
   * Subscribes `subscription` (an aws-cdk-lib `aws-sns-subscriptions`
   * subscription) to the topic and returns the `sns.Subscription`. It gets the
   * topic's dead-letter queue unless it has its own (of the topic's type), and
   * raw message delivery when it is an SQS subscription that does not set `rawMessageDelivery`.
   */
  public addSubscription(subscription: sns.ITopicSubscription): sns.Subscription {
    const created = this.topic.addSubscription(new ResilientSubscription(subscription, this, own => this.adoptDeadLetterQueue(own)));
    // SNS may need the dead-letter queue as soon as the subscription exists: its policy (the queue's 'Policy' child) comes first.
    const policy = created.deadLetterQueue?.node.tryFindChild('Policy');
    if (policy) created.node.addDependency(policy);
    return created;
  }

  /**
   * Grants permission to publish to the topic: `sns:Publish`, and
   * `kms:GenerateDataKey` and `kms:Decrypt` on its key (the two calls SNS
   * makes for a publisher; no wildcard action). An AWS service
   * principal is granted through the topic policy and the key policy.
   *
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
   */
  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    if (isAwsManagedSnsKey(this.encryptionKey) && grantee.grantPrincipal instanceof iam.ServicePrincipal) {
      throw new Error(`grantPublish(${grantee.grantPrincipal.service}): an AWS service cannot publish to a topic encrypted with the AWS managed key ${AWS_MANAGED_SNS_KEY_ALIAS} `
        + '(its key policy cannot be changed), so its messages would be lost: give the FanOutTopic a customer-managed encryptionKey (the default)');
    }
    const grant = iam.Grant.addToPrincipalOrResource({ grantee, actions: ['sns:Publish'], resourceArns: [this.topic.topicArn], resource: this.topic });
    // A service can use the key only through the key policy: when this app cannot change it (an imported
    // key), the service's messages would be lost, so refuse.
    if (grantee.grantPrincipal instanceof iam.ServicePrincipal && !(this.encryptionKey instanceof kms.Key)) {
      throw new Error(`grantPublish(${grantee.grantPrincipal.service}): an AWS service can use the topic's key ${this.encryptionKey.node.path} only through `
        + 'its key policy, which this app cannot change (an imported key), so its messages would be lost: give the FanOutTopic a kms.Key of this app '
        + '(the default), or add the service to the key policy yourself and grant sns:Publish on the topic');
    }
    this.encryptionKey.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
    return grant;
  }

  /**
   * The messages SNS could not deliver to a subscriber, as `notificationsFailedAlarm` watches them.
   *
   * @default - sum over 5 minutes
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html
   */
  public metricNumberOfNotificationsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.topic.metric('NumberOfNotificationsFailed', { statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...props });
  }

  /**
   * The messages SNS could deliver neither to a subscriber nor to the
   * subscription's dead-letter queue, as `notificationsFailedToRedriveToDlqAlarm` watches them.
   *
   * @default - sum over 5 minutes
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html
   */
  public metricNumberOfNotificationsFailedToRedriveToDlq(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.topic.metric('NumberOfNotificationsFailedToRedriveToDlq', { statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...props });
  }

  /**
   * A subscription's own dead-letter queue: SNS may use its key, and the
   * depth alarm of a `DeadLetterQueue` joins `alarms`.
   */
  private adoptDeadLetterQueue(queue: sqs.IQueue): void {
    this.letSnsEncryptWith(queue.encryptionMasterKey);
    const owner = queue.node.scope;
    if (owner instanceof DeadLetterQueue && !this.subscriptionDeadLetterQueues.includes(owner)) {
      this.subscriptionDeadLetterQueues.push(owner);
    }
  }

  /**
   * SNS encrypts what it sends to a dead-letter queue encrypted with a
   * customer-managed key. The condition names the account, not the topic: the
   * topic's own key may be this key, and a key policy naming the topic would
   * then be a dependency cycle (key -> topic -> key).
   */
  private letSnsEncryptWith(key?: kms.IKey): void {
    if (!key) return;
    allowServiceToUseKey(this, key, {
      servicePrincipal: 'sns.amazonaws.com',
      serviceName: 'SNS',
      encrypts: `a dead-letter queue of ${this.node.path}`,
      loss: 'every message it fails to deliver',
      instead: 'a kms.Key of this app for the dead-letter queue, or SSE-SQS',
    });
  }
}

/**
 * A subscription that always has a dead-letter queue (the topic's, unless it
 * has its own), raw delivery to SQS by default, and only what the topic can
 * deliver to.
 */
class ResilientSubscription implements sns.ITopicSubscription {
  constructor(
    private readonly subscription: sns.ITopicSubscription,
    private readonly fanOut: FanOutTopic,
    private readonly adopt: (queue: sqs.IQueue) => void,
  ) {}

  public bind(topic: sns.ITopic): sns.TopicSubscriptionConfig {
    const config = this.subscription.bind(topic);
    const fifo = this.fanOut.fifo;
    const path = config.subscriberScope?.node.path ?? config.endpoint;
    if (fifo && config.protocol !== sns.SubscriptionProtocol.SQS) {
      throw new Error(`subscription must be an SQS queue (FIFO or standard): a FIFO topic delivers to nothing else, got a ${config.protocol} subscription to ${path}`);
    }
    const queue = config.protocol === sns.SubscriptionProtocol.SQS && isQueue(config.subscriberScope) ? config.subscriberScope : undefined;
    if (!fifo && queue?.fifo) {
      throw new Error(`subscription to ${path} must be a standard queue: a FIFO queue needs the message group id that only a FIFO topic (fifo: true) sends, got a FIFO queue`);
    }
    const own = config.deadLetterQueue;
    if (own) {
      validateOwnDeadLetterQueue(own, this.fanOut, path);
      this.adopt(own);
    }
    if (queue?.encryptionMasterKey && queue.encryptionMasterKey === this.fanOut.encryptionKey) {
      throw new Error(`subscription to ${path}: the queue is encrypted with the topic's own key, and SqsSubscription's key policy statement for SNS names the topic, `
        + 'which names the key: a dependency cycle. Encrypt the queue with another key (or SSE-SQS)');
    }
    return {
      ...config,
      // A subscription under its subscriber is named after this topic, whatever its id: never the subscriber's own 'Resource'.
      subscriberId: config.subscriberScope ? Names.nodeUniqueId(this.fanOut.topic.node) : config.subscriberId,
      deadLetterQueue: own ?? this.fanOut.deadLetterQueue.queue,
      rawMessageDelivery: config.rawMessageDelivery ?? (config.protocol === sns.SubscriptionProtocol.SQS ? true : undefined),
    };
  }
}

function validateOwnDeadLetterQueue(queue: sqs.IQueue, fanOut: FanOutTopic, path: string): void {
  if (queue.fifo !== fanOut.fifo) {
    throw new Error(`deadLetterQueue of the subscription to ${path} must be ${fanOut.fifo ? 'FIFO' : 'standard'} like the topic (fifo: ${fanOut.fifo}), `
      + `got the ${queue.fifo ? 'FIFO' : 'standard'} queue ${queue.node.path}`);
  }
  if (queue.encryptionType === sqs.QueueEncryption.KMS_MANAGED) {
    throw new Error(`deadLetterQueue of the subscription to ${path} must not use the AWS managed SQS key (alias/aws/sqs): SNS cannot use it, so every failed message would be lost; `
      + `use SSE-SQS or a customer-managed key, got ${queue.node.path}`);
  }
  const topicEnv = fanOut.topic.env;
  for (const part of ['account', 'region'] as const) {
    const a = topicEnv[part];
    const b = queue.env[part];
    if (!Token.isUnresolved(a) && !Token.isUnresolved(b) && a !== b) {
      throw new Error(`deadLetterQueue of the subscription to ${path} must be in the topic's ${part} (${a}): SNS refuses a dead-letter queue in another account or region, got ${b}`);
    }
  }
}

function validateProps(props: FanOutTopicProps, fifo: boolean): void {
  if (!fifo && props.contentBasedDeduplication) {
    throw new Error('contentBasedDeduplication is only supported with a FIFO topic (fifo: true), got contentBasedDeduplication: true with fifo: false');
  }
  const name = props.topicName;
  if (name === undefined || Token.isUnresolved(name)) return;
  const base = fifo && name.endsWith(FIFO_SUFFIX) ? name.slice(0, -FIFO_SUFFIX.length) : name;
  const max = fifo ? LIMITS.topicName - FIFO_SUFFIX.length : LIMITS.topicName;
  if (!/^[A-Za-z0-9_-]+$/.test(base) || base.length > max || (fifo && base === name)) {
    throw new Error(fifo
      ? `topicName of a FIFO topic must be 1-${max} letters, digits, '-' or '_' followed by '.fifo', got '${name}'`
      : `topicName must be 1-${max} letters, digits, '-' or '_', got '${name}'`);
  }
}

/** Whether `scope` is an SQS queue (the subscriber scope of an `SqsSubscription`). */
function isQueue(scope: IConstruct | undefined): scope is sqs.IQueue {
  return scope instanceof sqs.QueueBase;
}

function isAwsManagedSnsKey(key: kms.IKey): boolean {
  return (key as Partial<kms.IAlias>).aliasName === AWS_MANAGED_SNS_KEY_ALIAS;
}
