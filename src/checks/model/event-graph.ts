/**
 * How events flow between the resources of one stack, read from its
 * `CfnModel`: the edges that the retry-path analysis walks, and the functions
 * that something in the stack invokes asynchronously.
 *
 * Built in three steps, each over the model or the result of the one before:
 * 1. Links, found by the link sources of `links/` (one file per service,
 *    listed in `LINKS`; adding an integration is one file there): every way the template wires one resource to another, each with
 *    its kind (`EdgeKind`): an event source mapping, a rule and its targets,
 *    a subscription, an S3 notification, a Lambda destination or dead-letter
 *    queue, an SQS redrive policy, a resource that invokes a function
 *    asynchronously by a setting of its own, or an IAM grant that lets a
 *    function send to a queue, publish to a topic, put events on a bus,
 *    invoke a function or start a state machine; a stream's event source
 *    mapping and its on-failure destination; a pipe's source, target,
 *    enrichment and dead-letter queue.
 *    A link says nothing more than that; finding one has no other effect.
 * 2. Edges (`chooseEdges`): one per (from, to) pair. When several links join
 *    the same pair, the kind that comes first in `EDGE_PRECEDENCE` wins,
 *    whatever order they were found in:
 *    - Wiring beats an IAM grant. A destination or a target comes with a grant
 *      to send to it; the wiring says how often it sends (once per event, after
 *      the retries), the grant only that it may send on every invocation.
 *    - A rule target or a subscription endpoint beats the dead-letter queue of
 *      the same rule or subscription when both are the same queue: the queue
 *      receives every event, not only those that failed.
 *    - A function's on-failure destination beats its on-success destination,
 *      and both beat its dead-letter queue, when they are the same resource.
 *      An on-failure and a dead-letter edge are alike. An on-failure and an
 *      on-success edge differ only when nothing consumes the destination: the
 *      on-failure edge then ends no path (see `retry-paths.ts`), so the
 *      destination counts as a store of what failed.
 *    Links of the winning kind between the same pair are parallel deliveries
 *    when the kind is one of `PARALLEL_KINDS` (two targets of one rule on the
 *    same API destination):
 *    the edge counts each (`copies`, and `attempts` summed over them).
 *    Otherwise (two statements that grant the same send) the first in
 *    template order stands for all. What the links show of the events they
 *    put on a bus (`events`) is merged over the links of the pair, grants
 *    left out when wiring joins it too.
 *    A failure link from a resource to itself (a queue that is its own
 *    dead-letter queue) is no edge.
 * 3. The functions invoked asynchronously (`asynchronouslyInvoked`): those
 *    that a link of an asynchronous kind reaches (`ASYNC_KINDS`: a rule
 *    target, a subscription, an S3 notification, a Lambda destination, a
 *    resource that invokes asynchronously by a setting of its own), and
 *    those that a service which invokes asynchronously (SNS, S3, EventBridge,
 *    ...) holds a permission to invoke. An IAM grant to invoke does not count:
 *    it does not tell whether the invocation is asynchronous. The set depends
 *    on the links, never on which edge won. The state machines started
 *    asynchronously (`isStartedAsynchronously`) are found the same way.
 *
 * Left out once every link is made: the functions that serve custom resources
 * (`machineryFunctions`: what aws-cdk-lib creates for its own machinery, and
 * the handlers of the user's custom resources) and every link from or to
 * them. They are no part of a user's event paths, and no rule about
 * asynchronous invocation applies to them. A function that serves a custom
 * resource and that something else wires events to (a queue it consumes, a
 * rule that targets it) stays: only the custom resource's invocation, which
 * is no link, is left out.
 */
import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { CFN_TYPE, CfnModel, ModelResource } from './cfn-model';
import { readEventInvokeConfig, readFunction, readPermission, readQueue } from './cfn-properties';
import { EventShape, mergeShapes } from './event-patterns';
import { LINKS, Linker, RECEIVED } from './links';
import { AWS_DEFAULTS } from '../../private/defaults';

const { QUEUE, FUNCTION, STATE_MACHINE } = CFN_TYPE;

/** What wires one resource to the next. */
export type EdgeKind =
  /** A queue to the function that an event source mapping invokes with its messages. */
  | 'event-source-mapping'
  /** A bus to one of its rules. */
  | 'rule'
  /** A rule to one of its targets. */
  | 'rule-target'
  /** A rule to the dead-letter queue of one of its targets. */
  | 'rule-dead-letter'
  /** A topic to a subscribed function or queue. */
  | 'subscription'
  /** A topic to the dead-letter queue of a subscription. */
  | 'subscription-dead-letter'
  /** A bucket to a function, queue or topic it notifies. */
  | 'notification'
  /** A function to its on-failure destination. */
  | 'on-failure'
  /** A function to its on-success destination. */
  | 'on-success'
  /** A function to its dead-letter queue or topic. */
  | 'function-dead-letter'
  /** A queue to its dead-letter queue (redrive policy). */
  | 'redrive'
  /**
   * A resource to a function that it invokes asynchronously by a setting of its own: an API Gateway method whose
   * integration sets `X-Amz-Invocation-Type` to `'Event'`, an IoT Events detector model's Lambda action, a Step
   * Functions Lambda task with `InvocationType: Event`.
   */
  | 'async-invoke'
  /** A function to what its role may send to, invoke or start. */
  | 'grant'
  /** A Kinesis stream or DynamoDB table to the function that an event source mapping invokes with its stream's records. */
  | 'stream-mapping'
  /** A function to the on-failure destination of an event source mapping that reads a stream. */
  | 'stream-on-failure'
  /** A queue or stream to the pipe that reads it. */
  | 'pipe-source'
  /** A pipe to its target or enrichment, invoked on each attempt of the pipe. */
  | 'pipe-target'
  /** A pipe to a function target invoked, or a state machine target started, asynchronously (`FIRE_AND_FORGET`). */
  | 'pipe-async-target'
  /** A pipe to the dead-letter queue or topic of its stream source. */
  | 'pipe-dead-letter'
  /** An EventBridge Scheduler schedule to its target, invoked asynchronously. */
  | 'schedule-target'
  /**
   * An API Gateway method or integration to the function it invokes synchronously, or to the SQS queue its
   * service integration sends the request to: once per request (a client's retries are outside the template).
   */
  | 'api-integration'
  /** A schedule to the dead-letter queue of its target. */
  | 'schedule-dead-letter';

/** Which edge wins when links of several kinds join the same pair: the earlier kind (see the file's comment). */
export const EDGE_PRECEDENCE: readonly EdgeKind[] = [
  'event-source-mapping', 'stream-mapping', 'rule', 'rule-target', 'rule-dead-letter', 'subscription', 'subscription-dead-letter', 'notification',
  'pipe-source', 'pipe-target', 'pipe-async-target', 'pipe-dead-letter', 'schedule-target', 'schedule-dead-letter', 'api-integration',
  'on-failure', 'stream-on-failure', 'on-success', 'function-dead-letter', 'redrive', 'async-invoke', 'grant',
];

/**
 * The kinds of link of which each one delivers every event again: parallel links of these kinds all count.
 * Not subscriptions: SNS keeps one subscription per topic, protocol and endpoint.
 */
export const PARALLEL_KINDS: ReadonlySet<EdgeKind> = new Set<EdgeKind>(['rule-target']);

/** The kinds of link that carry only what failed. */
const FAILURE_KINDS: ReadonlySet<EdgeKind> = new Set<EdgeKind>([
  'rule-dead-letter', 'subscription-dead-letter', 'on-failure', 'function-dead-letter', 'redrive', 'stream-on-failure', 'pipe-dead-letter',
  'schedule-dead-letter',
]);

/** The kinds of link by which a service invokes a function asynchronously. */
export const ASYNC_KINDS: ReadonlySet<EdgeKind> = new Set<EdgeKind>([
  'rule-target', 'subscription', 'notification', 'on-failure', 'on-success', 'async-invoke', 'pipe-async-target', 'schedule-target',
]);

/**
 * Services that invoke Lambda functions asynchronously when they hold a permission to invoke them: SNS, S3,
 * EventBridge, SES, IoT, CodeCommit, AWS Config, CloudWatch alarms, CloudWatch Logs (also regional).
 * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html
 */
const ASYNC_PRINCIPAL = /^(sns|s3|events|scheduler|ses|iot|codecommit|config|lambda\.alarms\.cloudwatch|logs(\.[^.]+)?)\.amazonaws\.com$/;


/**
 * How an event moves from one resource to the next.
 *
 * - `kind`: what wires them.
 * - `per`: what the count at the next resource follows: each `event` that
 *   reached `from`, or each `invocation` of `from` (a function that sends on
 *   every attempt sends once per attempt; only a `grant` counts so).
 * - `attempts`: how often `to` is invoked for each event it receives;
 *   `attemptsUnknown` when the template does not fix it (then 1, the least
 *   it can be: a count over the edge is a lower bound).
 * - `failure`: the edge carries only what failed (a dead-letter queue, an
 *   on-failure destination).
 * - `copies`: how many copies of each event `to` receives over the edge
 *   (parallel targets of one rule; absent: 1). `attempts` is then the sum
 *   over the copies.
 * - `events`: what the template shows of the events the edge puts on a bus
 *   (see `event-patterns.ts`); absent when it shows nothing.
 * - `shared`: a grant on a role that several functions share. It shows that
 *   some function of the role may send, not that this one does: a loop it
 *   closes is possible, never certain, and it starts no state machine
 *   asynchronously.
 * - `possible`: a grant on every resource (`*`, or an AWS managed policy such
 *   as `AWSStepFunctionsFullAccess`) to a resource that only the function's
 *   environment names (its ARN, URL or name in a variable): the function may
 *   well send there, the template does not show that it does. Such a link is
 *   no edge of the retry paths (a count through it would be a guess); a state
 *   machine it reaches is possibly started asynchronously
 *   (`isPossiblyStartedAsynchronously`).
 */
export interface GraphEdge {
  readonly from: ModelResource;
  readonly to: ModelResource;
  readonly kind: EdgeKind;
  readonly per: 'event' | 'invocation';
  readonly attempts: number;
  /** The template does not fix how often `to` is attempted (a parameter, `Fn::If`): `attempts` is 1, the least it can be. */
  readonly attemptsUnknown?: boolean;
  readonly failure: boolean;
  readonly copies?: number;
  readonly events?: EventShape;
  readonly shared?: boolean;
  readonly possible?: boolean;
}

/** One edge per (from, to) pair, by `EDGE_PRECEDENCE` and `PARALLEL_KINDS`, in the order the pairs were first linked. */
export function chooseEdges(links: readonly GraphEdge[]): GraphEdge[] {
  const pairs = new Map<ModelResource, Map<ModelResource, GraphEdge[]>>();
  const order: GraphEdge[][] = [];
  for (const link of links) {
    if (link.from === link.to && link.failure) continue;
    const byTarget = pairs.get(link.from) ?? new Map<ModelResource, GraphEdge[]>();
    pairs.set(link.from, byTarget);
    const pair = byTarget.get(link.to);
    if (pair) {
      pair.push(link);
    } else {
      byTarget.set(link.to, [link]);
      order.push(byTarget.get(link.to)!);
    }
  }
  return order.map(pair => {
    const rank = (kind: EdgeKind) => EDGE_PRECEDENCE.indexOf(kind);
    const best = pair.reduce((a, b) => rank(b.kind) < rank(a.kind) ? b : a);
    // What the wiring sends, unless only grants join the pair: the grant that comes with a destination is the destination's.
    const wired = pair.filter(l => l.kind !== 'grant');
    const events = (wired.length > 0 ? wired : pair).map(l => l.events).reduce(mergeShapes);
    // A grant is shared only if every grant that joins the pair is: one of the function's own role shows it sends.
    const shared = best.kind === 'grant' && pair.every(l => l.kind !== 'grant' || l.shared);
    // Likewise a grant rests on the environment only if every grant that joins the pair does.
    const possible = best.kind === 'grant' && pair.every(l => l.kind !== 'grant' || l.possible);
    const { events: _ignored, shared: _shared, possible: _possible, ...edge } = best;
    const withEvents = { ...edge, ...events && { events }, ...shared && { shared }, ...possible && { possible } };
    const parallel = PARALLEL_KINDS.has(best.kind) ? pair.filter(l => l.kind === best.kind) : [best];
    if (parallel.length === 1) return withEvents;
    const copies = parallel.reduce((sum, l) => sum + (l.copies ?? 1), 0);
    const unknown = parallel.some(l => l.attemptsUnknown);
    return { ...withEvents, copies, attempts: parallel.reduce((sum, l) => sum + l.attempts, 0), ...unknown && { attemptsUnknown: true } };
  });
}

/**
 * The functions that aws-cdk-lib creates for its own machinery, by how the
 * template and the construct tree mark them (never by name):
 * - a function whose ARN is the `ServiceToken` of a custom resource
 *   (`AWS::CloudFormation::CustomResource` or `Custom::*`: custom resource
 *   providers, log retention, bucket notifications, auto-delete objects,
 *   `AwsCustomResource`);
 * - a function that such a function's environment names (the handlers that
 *   the provider framework of `custom-resources` invokes), transitively;
 * - a function under a construct that aws-cdk-lib marks with the metadata
 *   `aws:cdk:is-custom-resource-handler-*` (not in the template itself).
 */
export function machineryFunctions(model: CfnModel): Set<ModelResource> {
  const found = new Set<ModelResource>();
  for (const resource of model.resources) {
    if (resource.type === CFN_TYPE.CUSTOM_RESOURCE || resource.type.startsWith('Custom::')) {
      model.referencedBy(resource.properties.ServiceToken, FUNCTION).forEach(fn => found.add(fn));
    }
  }
  for (const fn of model.ofType(FUNCTION)) {
    if (markedAsCustomResourceHandler(fn)) found.add(fn);
  }
  for (const fn of found) {
    // A Set visits what is added while it is walked: the handlers the environment names, and theirs.
    model.referencedBy(readFunction(fn).environment, FUNCTION).forEach(handler => found.add(handler));
  }
  return found;
}

const CUSTOM_RESOURCE_HANDLER_METADATA = 'aws:cdk:is-custom-resource-handler-';

/** Whether aws-cdk-lib marked the function, or a construct above it short of the stack, as a custom resource handler. */
function markedAsCustomResourceHandler(fn: ModelResource): boolean {
  for (let scope: IConstruct | undefined = fn.construct; scope && !Stack.isStack(scope); scope = scope.node.scope) {
    if (scope.node.metadata.some(entry => entry.type.startsWith(CUSTOM_RESOURCE_HANDLER_METADATA))) return true;
  }
  return false;
}

/**
 * The functions that a link of an asynchronous kind reaches, or that a service holds a permission to invoke
 * asynchronously; not those of aws-cdk-lib's `machinery`.
 */
export function asynchronouslyInvoked(model: CfnModel, links: readonly GraphEdge[],
  machinery: ReadonlySet<ModelResource> = new Set()): Set<ModelResource> {
  const functions = new Set<ModelResource>();
  for (const link of links) {
    if (link.to.type === FUNCTION && ASYNC_KINDS.has(link.kind)) functions.add(link.to);
  }
  for (const permission of model.ofType(CFN_TYPE.PERMISSION)) {
    const { principal, functionName } = readPermission(permission);
    const service = flattenPrincipal(principal);
    if (!service || !ASYNC_PRINCIPAL.test(service)) continue;
    for (const fn of model.referencedBy(functionName, FUNCTION)) {
      if (!machinery.has(fn)) functions.add(fn);
    }
  }
  return functions;
}

/**
 * The kinds of link that start a state machine asynchronously: nothing waits for the execution's result
 * (a rule target; a pipe's target started `FIRE_AND_FORGET`, as every Standard workflow is).
 */
export const ASYNC_START_KINDS: ReadonlySet<EdgeKind> = new Set<EdgeKind>(['rule-target', 'pipe-async-target', 'schedule-target']);

/**
 * The state machines started asynchronously: reached by a link of `ASYNC_START_KINDS` (a rule target:
 * `StartExecution` returns at once), or what a function invoked asynchronously may start
 * (`states:StartExecution`: an S3 or SNS trigger through a function).
 */
export function asynchronouslyStarted(links: readonly GraphEdge[], invoked: ReadonlySet<ModelResource>): Set<ModelResource> {
  const started = new Set<ModelResource>();
  for (const link of links) {
    if (link.to.type !== STATE_MACHINE) continue;
    if (ASYNC_START_KINDS.has(link.kind) || (link.kind === 'grant' && !link.shared && !link.possible && invoked.has(link.from))) started.add(link.to);
  }
  return started;
}

/**
 * The state machines that a function invoked asynchronously may start on evidence short of a grant that names
 * them (`GraphEdge.possible`: a grant on every state machine, and the function's environment names this one).
 */
export function possiblyStarted(links: readonly GraphEdge[], invoked: ReadonlySet<ModelResource>): Set<ModelResource> {
  return new Set(links.filter(l => l.to.type === STATE_MACHINE && l.kind === 'grant' && l.possible && invoked.has(l.from)).map(l => l.to));
}

/** How events flow between the resources of one stack (see the file's comment). */
export class EventGraph {
  /** One edge per pair of resources that events move between. */
  public readonly edges: GraphEdge[];
  /** Every link found in the template, before one edge per pair is chosen. */
  private links: GraphEdge[] = [];
  /** The functions that something in the stack invokes asynchronously. */
  private readonly invokedAsynchronously: ReadonlySet<ModelResource>;
  /** The state machines that something in the stack starts asynchronously. */
  private readonly startedAsynchronously: ReadonlySet<ModelResource>;
  /** The state machines that something in the stack may start asynchronously, on evidence short of a named grant. */
  private readonly possiblyStartedAsynchronously: ReadonlySet<ModelResource>;
  /** The functions of aws-cdk-lib's own machinery: no link starts or ends at them. */
  private readonly machinery: ReadonlySet<ModelResource>;
  /** The functions that consume a queue through an event source mapping, and the pipes that read it, per queue (from the links). */
  private readonly consumers = new Map<ModelResource, ModelResource[]>();
  /** The event invoke configurations of each function, indexed on first use. */
  private invokeConfigs?: Map<ModelResource, ModelResource[]>;

  constructor(public readonly model: CfnModel) {
    const serving = machineryFunctions(model);
    const linker: Linker = {
      model,
      link: (...args) => this.link(...args),
      linkCounted: (...args) => this.linkCounted(...args),
      receiveAttempts: queue => this.receiveAttempts(queue),
      asyncAttempts: fn => this.asyncAttempts(fn),
    };
    for (const source of LINKS) source.find(linker);
    // A function that serves a custom resource is machinery unless something of the user's wires events to it
    // (a queue it consumes, a rule that targets it): then only the custom resource's invocation is left out, which
    // is no link. What machinery sends (the grants of an AwsCustomResource, say) is no part of a user's paths.
    const wired = new Set(this.links.filter(l => l.kind !== 'grant' && !serving.has(l.from)).map(l => l.to));
    this.machinery = new Set([...serving].filter(fn => !wired.has(fn)));
    this.links = this.links.filter(l => !this.machinery.has(l.from) && !this.machinery.has(l.to));
    // A send that rests on the environment alone is no edge: a path through it would be a guess. It only says that a
    // state machine is possibly started asynchronously.
    this.edges = chooseEdges(this.links.filter(l => !l.possible));
    this.invokedAsynchronously = asynchronouslyInvoked(model, this.links, this.machinery);
    this.startedAsynchronously = asynchronouslyStarted(this.links, this.invokedAsynchronously);
    this.possiblyStartedAsynchronously = possiblyStarted(this.links, this.invokedAsynchronously);
    for (const { from: queue, to: fn } of this.links.filter(l => l.kind === 'event-source-mapping' || (l.kind === 'pipe-source' && l.from.type === QUEUE))) {
      this.consumers.set(queue, [...this.consumers.get(queue) ?? [], fn]);
    }
  }

  /** The functions that consume `queue` through an event source mapping, and the pipes that read it. */
  public consumersOf(queue: ModelResource): ModelResource[] {
    return this.consumers.get(queue) ?? [];
  }

  /** Whether something in the stack invokes `fn` asynchronously. */
  public isInvokedAsynchronously(fn: ModelResource): boolean {
    return this.invokedAsynchronously.has(fn);
  }

  /** Whether something in the stack starts the state machine `stateMachine` asynchronously. */
  public isStartedAsynchronously(stateMachine: ModelResource): boolean {
    return this.startedAsynchronously.has(stateMachine);
  }

  /**
   * Whether a function invoked asynchronously may start `stateMachine`, on evidence short of a grant that names it:
   * a grant on every state machine, and the function's environment names this one.
   */
  public isPossiblyStartedAsynchronously(stateMachine: ModelResource): boolean {
    return !this.startedAsynchronously.has(stateMachine) && this.possiblyStartedAsynchronously.has(stateMachine);
  }

  /** Whether `fn` is a function of aws-cdk-lib's own machinery (see `machineryFunctions`). */
  public isMachinery(fn: ModelResource): boolean {
    return this.machinery.has(fn);
  }

  /** How often Lambda attempts an asynchronous event for `fn`: 1 + its retry attempts; `undefined` when the template does not fix them. */
  public asyncAttempts(fn: ModelResource): number | undefined {
    const retries = this.eventInvokeConfigsOf(fn).map(config => readEventInvokeConfig(config).maximumRetryAttempts);
    if (retries.includes(undefined)) return undefined;
    return 1 + (retries.length > 0 ? Math.max(...retries as number[]) : AWS_DEFAULTS.asyncRetryAttempts);
  }

  /** The event invoke configurations of `fn`. */
  public eventInvokeConfigsOf(fn: ModelResource): ModelResource[] {
    if (!this.invokeConfigs) {
      this.invokeConfigs = new Map();
      for (const config of this.model.ofType(CFN_TYPE.EVENT_INVOKE_CONFIG)) {
        for (const configured of this.model.referencedBy(readEventInvokeConfig(config).functionName, FUNCTION)) {
          this.invokeConfigs.set(configured, [...this.invokeConfigs.get(configured) ?? [], config]);
        }
      }
    }
    return [...this.invokeConfigs.get(fn) ?? []];
  }

  /**
   * How often a consumer receives a message of `queue`: its redrive policy's
   * `maxReceiveCount`, or, without one, as often as the retention period
   * allows visibility timeouts (received at 0, V, 2V, ... while younger than
   * the retention R: ceil(R / V) times). `undefined` when the template does
   * not fix what decides it (a parameter, `Fn::If`).
   */
  public receiveAttempts(queue: ModelResource): number | undefined {
    const { redrive, maxReceiveCount, retentionPeriodSeconds, visibilityTimeoutSeconds } = readQueue(queue);
    if (redrive === 'unknown') return undefined;
    if (redrive === 'set') return maxReceiveCount;
    if (retentionPeriodSeconds === undefined || visibilityTimeoutSeconds === undefined) return undefined;
    return Math.max(1, Math.ceil(retentionPeriodSeconds / Math.max(visibilityTimeoutSeconds, 1)));
  }

  /**
   * A link from `from` to `to`, `to` attempted `given` times per event:
   * `RECEIVED` for what a target that receives events asynchronously or as a
   * message sees (a function, at worst, an asynchronous invocation with its
   * retries; anything else, one). Attempts the template does not fix
   * (`undefined`) count as 1, and the link says that its count is unknown.
   */
  private link(from: ModelResource, to: ModelResource, kind: EdgeKind,
    given: number | undefined | typeof RECEIVED, events?: EventShape, shared = false, possible = false): void {
    const attempts = given !== RECEIVED ? given : to.type === FUNCTION ? this.asyncAttempts(to) : 1;
    this.links.push({
      from,
      to,
      kind,
      per: kind === 'grant' ? 'invocation' : 'event',
      attempts: attempts ?? 1,
      ...attempts === undefined && { attemptsUnknown: true },
      failure: FAILURE_KINDS.has(kind),
      ...events && { events },
      ...shared && { shared },
      ...possible && { possible },
    });
  }


  /** A link whose count follows `per` (see `GraphEdge`); attempts the template does not fix count as 1, and say so. */
  private linkCounted(from: ModelResource, to: ModelResource, kind: EdgeKind, attempts: number | undefined, per: GraphEdge['per']): void {
    this.links.push({
      from, to, kind, per, attempts: attempts ?? 1, ...attempts === undefined && { attemptsUnknown: true }, failure: FAILURE_KINDS.has(kind),
    });
  }


}

/** A principal as a string, with any part that is not a literal (the region, say) as `region`. */
function flattenPrincipal(principal: unknown): string | undefined {
  if (typeof principal === 'string') return principal;
  const join = (principal as any)?.['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1])) {
    return join[1].map((part: unknown) => typeof part === 'string' ? part : 'region').join(join[0]);
  }
  return undefined;
}
