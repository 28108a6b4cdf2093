import { CfnModel, ModelResource, numberOr } from './cfn-model';
import { AWS_DEFAULTS } from './defaults';

export const QUEUE = 'AWS::SQS::Queue';
export const FUNCTION = 'AWS::Lambda::Function';
export const TOPIC = 'AWS::SNS::Topic';
export const BUS = 'AWS::Events::EventBus';
export const RULE = 'AWS::Events::Rule';
export const API_DESTINATION = 'AWS::Events::ApiDestination';

/** Services that invoke Lambda functions asynchronously when they hold a permission to invoke them. */
const ASYNC_PRINCIPAL = /^(sns|s3|events|ses|iot|codecommit|config|lambda\.alarms\.cloudwatch|logs(\.[^.]+)?)\.amazonaws\.com$/;

/**
 * How an event moves from one resource to the next.
 *
 * - `per`: what the count at the next resource follows: each `event` that
 *   reached `from`, or each `invocation` of `from` (a function that sends on
 *   every attempt sends once per attempt).
 * - `attempts`: how often `to` is invoked for each event it receives.
 * - `failure`: the edge carries only what failed (a dead-letter queue, an
 *   on-failure destination).
 */
export interface GraphEdge {
  readonly from: ModelResource;
  readonly to: ModelResource;
  readonly per: 'event' | 'invocation';
  readonly attempts: number;
  readonly failure: boolean;
}

/**
 * How events flow between the resources of one stack: event source mappings,
 * EventBridge rules and targets, SNS subscriptions, S3 notifications, Lambda
 * destinations and dead-letter queues, SQS redrive, and the IAM grants that
 * let a function send to a queue, publish to a topic, put events on a bus or
 * invoke a function.
 */
export class EventGraph {
  public readonly edges: GraphEdge[] = [];
  /** The functions that something in the stack invokes asynchronously. */
  private readonly invokedAsynchronously = new Set<ModelResource>();
  /** The functions that consume a queue through an event source mapping, per queue. */
  private readonly consumers = new Map<ModelResource, ModelResource[]>();

  constructor(public readonly model: CfnModel) {
    this.addEventSourceMappings();
    this.addRules();
    this.addSubscriptions();
    this.addBucketNotifications();
    this.addPermissions();
    this.addFunctionFailureTargets();
    this.addQueueRedrives();
    this.addGrants();
  }

  /** The functions that consume `queue` through an event source mapping. */
  public consumersOf(queue: ModelResource): ModelResource[] {
    return this.consumers.get(queue) ?? [];
  }

  /** Whether something in the stack invokes `fn` asynchronously. */
  public isInvokedAsynchronously(fn: ModelResource): boolean {
    return this.invokedAsynchronously.has(fn);
  }

  /** How often Lambda attempts an asynchronous event for `fn`: 1 + its retry attempts. */
  public asyncAttempts(fn: ModelResource): number {
    const retries = this.eventInvokeConfigsOf(fn)
      .map(config => numberOr(config.properties.MaximumRetryAttempts, AWS_DEFAULTS.asyncRetryAttempts));
    return 1 + (retries.length > 0 ? Math.max(...retries) : AWS_DEFAULTS.asyncRetryAttempts);
  }

  /** The event invoke configurations of `fn`. */
  public eventInvokeConfigsOf(fn: ModelResource): ModelResource[] {
    return this.model.ofType('AWS::Lambda::EventInvokeConfig')
      .filter(config => this.model.referencedBy(config.properties.FunctionName, FUNCTION).includes(fn));
  }

  /**
   * How often a consumer receives a message of `queue`: its redrive policy's
   * `maxReceiveCount`, or, without one, as often as the retention period
   * allows visibility timeouts.
   */
  public receiveAttempts(queue: ModelResource): number {
    const maxReceiveCount = numberOr(queue.properties.RedrivePolicy?.maxReceiveCount, NaN);
    if (!Number.isNaN(maxReceiveCount)) return maxReceiveCount;
    const retention = numberOr(queue.properties.MessageRetentionPeriod, AWS_DEFAULTS.queueRetentionSeconds);
    const visibility = numberOr(queue.properties.VisibilityTimeout, AWS_DEFAULTS.queueVisibilityTimeoutSeconds);
    return Math.max(1, Math.floor(retention / Math.max(visibility, 1)));
  }

  private addEdge(edge: GraphEdge): void {
    if (edge.from === edge.to && edge.failure) return;
    // One edge per pair: a function's destination comes with a grant to send to it, and the
    // destination (added first) says how often it sends.
    if (this.edges.some(e => e.from === edge.from && e.to === edge.to)) return;
    this.edges.push(edge);
  }

  /** An edge to a target that receives events asynchronously or as a message. */
  private deliver(from: ModelResource, to: ModelResource,
    options: { failure?: boolean; per?: 'event' | 'invocation'; knownAsync?: boolean } = {}): void {
    let attempts = 1;
    if (to.type === FUNCTION) {
      // At worst, an invocation is asynchronous and retried.
      attempts = this.asyncAttempts(to);
      if (options.knownAsync ?? true) this.invokedAsynchronously.add(to);
    }
    this.addEdge({ from, to, per: options.per ?? 'event', attempts, failure: options.failure ?? false });
  }

  private addEventSourceMappings(): void {
    for (const mapping of this.model.ofType('AWS::Lambda::EventSourceMapping')) {
      const queue = this.model.referencedOne(mapping.properties.EventSourceArn, QUEUE);
      const fn = this.model.referencedOne(mapping.properties.FunctionName, FUNCTION);
      if (!queue || !fn) continue;
      this.consumers.set(queue, [...this.consumers.get(queue) ?? [], fn]);
      this.addEdge({ from: queue, to: fn, per: 'event', attempts: this.receiveAttempts(queue), failure: false });
    }
  }

  private addRules(): void {
    for (const rule of this.model.ofType(RULE)) {
      const busName = rule.properties.EventBusName;
      const bus = typeof busName === 'string' && !busName.startsWith('arn:')
        ? this.model.named('events', busName)
        : this.model.referencedOne(busName, BUS);
      if (bus) this.addEdge({ from: bus, to: rule, per: 'event', attempts: 1, failure: false });
      for (const target of asArray(rule.properties.Targets)) {
        for (const to of this.model.referencedBy(target.Arn)) {
          if (to.type === API_DESTINATION) {
            // EventBridge retries an API destination that answers 429 or 5xx: each retry is a call.
            const retries = numberOr(target.RetryPolicy?.MaximumRetryAttempts, AWS_DEFAULTS.targetRetryAttempts);
            this.addEdge({ from: rule, to, per: 'event', attempts: 1 + retries, failure: false });
          } else {
            this.deliver(rule, to);
          }
        }
        for (const dlq of this.model.referencedBy(target.DeadLetterConfig?.Arn, QUEUE)) {
          this.deliver(rule, dlq, { failure: true });
        }
      }
    }
  }

  private addSubscriptions(): void {
    for (const subscription of this.model.ofType('AWS::SNS::Subscription')) {
      const topic = this.model.referencedOne(subscription.properties.TopicArn, TOPIC);
      if (!topic) continue;
      for (const to of this.model.referencedBy(subscription.properties.Endpoint, FUNCTION, QUEUE)) {
        this.deliver(topic, to);
      }
      for (const dlq of this.model.referencedBy(subscription.properties.RedrivePolicy?.deadLetterTargetArn, QUEUE)) {
        this.deliver(topic, dlq, { failure: true });
      }
    }
  }

  private addBucketNotifications(): void {
    for (const bucket of this.model.ofType('AWS::S3::Bucket')) {
      const config = bucket.properties.NotificationConfiguration ?? {};
      this.addNotifications(bucket, asArray(config.LambdaConfigurations).map(c => c.Function));
      this.addNotifications(bucket, asArray(config.QueueConfigurations).map(c => c.Queue));
      this.addNotifications(bucket, asArray(config.TopicConfigurations).map(c => c.Topic));
    }
    // The S3 notifications of aws-cdk-lib: a custom resource that configures the bucket.
    for (const custom of this.model.ofType('Custom::S3BucketNotifications')) {
      const bucket = this.model.referencedOne(custom.properties.BucketName, 'AWS::S3::Bucket') ?? custom;
      const config = custom.properties.NotificationConfiguration ?? {};
      this.addNotifications(bucket, asArray(config.LambdaFunctionConfigurations).map(c => c.LambdaFunctionArn));
      this.addNotifications(bucket, asArray(config.QueueConfigurations).map(c => c.QueueArn));
      this.addNotifications(bucket, asArray(config.TopicConfigurations).map(c => c.TopicArn));
    }
  }

  private addNotifications(bucket: ModelResource, targets: unknown[]): void {
    for (const target of targets) {
      for (const to of this.model.referencedBy(target, FUNCTION, QUEUE, TOPIC)) {
        this.deliver(bucket, to);
      }
    }
  }

  private addPermissions(): void {
    for (const permission of this.model.ofType('AWS::Lambda::Permission')) {
      const principal = flattenPrincipal(permission.properties.Principal);
      if (!principal || !ASYNC_PRINCIPAL.test(principal)) continue;
      for (const fn of this.model.referencedBy(permission.properties.FunctionName, FUNCTION)) {
        this.invokedAsynchronously.add(fn);
      }
    }
  }

  private addFunctionFailureTargets(): void {
    for (const config of this.model.ofType('AWS::Lambda::EventInvokeConfig')) {
      for (const fn of this.model.referencedBy(config.properties.FunctionName, FUNCTION)) {
        const destinations = config.properties.DestinationConfig ?? {};
        for (const to of this.model.referencedBy(destinations.OnFailure?.Destination, FUNCTION, QUEUE, TOPIC, BUS)) {
          this.deliver(fn, to, { failure: true });
        }
        for (const to of this.model.referencedBy(destinations.OnSuccess?.Destination, FUNCTION, QUEUE, TOPIC, BUS)) {
          this.deliver(fn, to);
        }
      }
    }
    for (const fn of this.model.ofType(FUNCTION)) {
      for (const to of this.model.referencedBy(fn.properties.DeadLetterConfig?.TargetArn, QUEUE, TOPIC)) {
        this.deliver(fn, to, { failure: true });
      }
    }
  }

  private addQueueRedrives(): void {
    for (const queue of this.model.ofType(QUEUE)) {
      for (const dlq of this.model.referencedBy(queue.properties.RedrivePolicy?.deadLetterTargetArn, QUEUE)) {
        this.deliver(queue, dlq, { failure: true });
      }
    }
  }

  /** A function whose role may send to a queue, publish to a topic, put events on a bus or invoke a function. */
  private addGrants(): void {
    const grants: Array<[string, string]> = [
      [QUEUE, 'sqs:SendMessage'], [TOPIC, 'sns:Publish'], [BUS, 'events:PutEvents'], [FUNCTION, 'lambda:InvokeFunction'],
    ];
    for (const { roles, document } of this.policies()) {
      const functions = this.model.ofType(FUNCTION)
        .filter(fn => this.model.referencedBy(fn.properties.Role).some(role => roles.includes(role)));
      if (functions.length === 0) continue;
      for (const statement of asArray(document?.Statement)) {
        if (statement.Effect !== 'Allow') continue;
        for (const [type, action] of grants) {
          if (!allows(statement.Action, action)) continue;
          for (const to of this.model.referencedBy(statement.Resource, type)) {
            for (const fn of functions) {
              // A grant to invoke does not tell whether the invocation is asynchronous.
              this.deliver(fn, to, { per: 'invocation', knownAsync: false });
            }
          }
        }
      }
    }
  }

  private policies(): Array<{ roles: ModelResource[]; document: any }> {
    const found: Array<{ roles: ModelResource[]; document: any }> = [];
    for (const policy of this.model.ofType('AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy')) {
      found.push({ roles: this.model.referencedBy(policy.properties.Roles, 'AWS::IAM::Role'), document: policy.properties.PolicyDocument });
    }
    for (const role of this.model.ofType('AWS::IAM::Role')) {
      for (const inline of asArray(role.properties.Policies)) {
        found.push({ roles: [role], document: inline.PolicyDocument });
      }
    }
    return found;
  }
}

/** Whether an IAM `Action` (a string or a list, with wildcards) allows `action`. */
function allows(actions: unknown, action: string): boolean {
  return asArray(actions).some(pattern => typeof pattern === 'string'
    && new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 'i').test(action));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function flattenPrincipal(principal: unknown): string | undefined {
  if (typeof principal === 'string') return principal;
  const join = (principal as any)?.['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1])) {
    return join[1].map((part: unknown) => typeof part === 'string' ? part : 'region').join(join[0]);
  }
  return undefined;
}

function asArray(value: unknown): any[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
