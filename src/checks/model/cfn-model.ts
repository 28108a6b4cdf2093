/**
 * The checks' model of one stack: each resource as the template will render it.
 *
 * What is resolved, and how
 * - Every `CfnResource` of the stack (a nested stack has a model of its own),
 *   found in the construct tree. The model is built before or during synthesis,
 *   not from the template file.
 * - Each resource is rendered with `CfnResource._toCloudFormation()`: the
 *   `@internal` method that `Stack` calls to write the template, so property
 *   overrides and empty values come out as they do there. aws-cdk-lib has no
 *   public API for one resource's template, and this is the only call into its
 *   internals that the checks make; if it ever changes, resources land in
 *   `unrendered` and `Resilience-Checks1` reports them, instead of the checks
 *   passing in silence.
 * - The rendered resource's tokens are resolved with `Tokenization.resolve`
 *   and `ModelResolver`, a `DefaultTokenResolver` that resolves as the
 *   template does (`Ref`, `Fn::GetAtt`, `Lazy` values, literals), with two
 *   differences:
 *   - a string that mixes literals and tokens becomes an `Fn::Join`, as in the
 *     template (`JoinConcatenator`);
 *   - a reference to a resource of another stack becomes a `CROSS_STACK`
 *     marker (below): before synthesis it would resolve to a logical ID, which
 *     another resource of this stack may have too.
 * - What comes out is the resource's `Properties` as the template holds them:
 *   literals (numbers sometimes as strings), `{ Ref }`, `{ Fn::GetAtt }`,
 *   `{ Fn::Join }`, other intrinsics untouched. Rules and the event graph read
 *   them through the accessors of `cfn-properties.ts`, not by hand.
 *
 * Markers inside strings (control characters, which no name or ARN contains)
 * - `CROSS_STACK` starts `<CROSS_STACK><type> <construct path>` in a resolved
 *   value: a reference to the resource of that type and path in another stack
 *   (read by `crossStackTypes`).
 * - `UNKNOWN` never appears in the model: `flatten` puts it in the string it
 *   makes of a value, where a part is not known at synth time. An ARN or URL
 *   whose name has an `UNKNOWN` part names no resource.
 *
 * Lookups: by type, by construct, and by what a value refers to
 * (`referencedBy`): `Ref` or `Fn::GetAtt` of a logical ID, or an ARN or URL
 * that ends with the literal physical name of a queue, function, topic or bus
 * of this stack. An alias or version of a function stands for the function.
 *
 * A resource that throws while rendering is kept in `unrendered` with its
 * error; the rules see nothing else of it.
 */
import {
  CfnResource, DefaultTokenResolver, IFragmentConcatenator, IPostProcessor, IResolvable, IResolveContext, Reference, Stack, Tokenization,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Starts a reference to a resource of another stack in a resolved value: `<CROSS_STACK><type> <path>`. */
const CROSS_STACK = '\u0001cross-stack:';

/** Stands for a part of a string that is not known at synth time, in what `flatten` returns. */
const UNKNOWN = '\u0000';

/**
 * The CloudFormation resource types the checks read, in one place.
 *
 * Literals rather than aws-cdk-lib's `CfnX.CFN_RESOURCE_TYPE_NAME`: reading
 * those loads each service's generated module and L2 base classes (about
 * 50 ms for these services) when the checks load. A test asserts that each
 * literal equals aws-cdk-lib's constant.
 */
export const CFN_TYPE = {
  QUEUE: 'AWS::SQS::Queue',
  FUNCTION: 'AWS::Lambda::Function',
  FUNCTION_ALIAS: 'AWS::Lambda::Alias',
  FUNCTION_VERSION: 'AWS::Lambda::Version',
  EVENT_SOURCE_MAPPING: 'AWS::Lambda::EventSourceMapping',
  EVENT_INVOKE_CONFIG: 'AWS::Lambda::EventInvokeConfig',
  PERMISSION: 'AWS::Lambda::Permission',
  TOPIC: 'AWS::SNS::Topic',
  SUBSCRIPTION: 'AWS::SNS::Subscription',
  BUS: 'AWS::Events::EventBus',
  RULE: 'AWS::Events::Rule',
  ARCHIVE: 'AWS::Events::Archive',
  API_DESTINATION: 'AWS::Events::ApiDestination',
  BUCKET: 'AWS::S3::Bucket',
  STATE_MACHINE: 'AWS::StepFunctions::StateMachine',
  API_METHOD: 'AWS::ApiGateway::Method',
  /** An API of API Gateway's v2 (an HTTP or a WebSocket API). */
  API_V2: 'AWS::ApiGatewayV2::Api',
  /** An integration of an HTTP or WebSocket API. */
  API_V2_INTEGRATION: 'AWS::ApiGatewayV2::Integration',
  IOT_EVENTS_DETECTOR_MODEL: 'AWS::IoTEvents::DetectorModel',
  /** A custom resource; those of other types are `Custom::<name>`. */
  CUSTOM_RESOURCE: 'AWS::CloudFormation::CustomResource',
  /** The custom resource of aws-cdk-lib's S3 notifications (no `Cfn` class). */
  BUCKET_NOTIFICATIONS: 'Custom::S3BucketNotifications',
  ROLE: 'AWS::IAM::Role',
  POLICY: 'AWS::IAM::Policy',
  MANAGED_POLICY: 'AWS::IAM::ManagedPolicy',
  APPCONFIG_ENVIRONMENT: 'AWS::AppConfig::Environment',
  APPCONFIG_DEPLOYMENT: 'AWS::AppConfig::Deployment',
  APPCONFIG_DEPLOYMENT_STRATEGY: 'AWS::AppConfig::DeploymentStrategy',
  KINESIS_STREAM: 'AWS::Kinesis::Stream',
  /** An enhanced fan-out consumer of a Kinesis stream. */
  KINESIS_STREAM_CONSUMER: 'AWS::Kinesis::StreamConsumer',
  TABLE: 'AWS::DynamoDB::Table',
  GLOBAL_TABLE: 'AWS::DynamoDB::GlobalTable',
  PIPE: 'AWS::Pipes::Pipe',
  FIS_EXPERIMENT_TEMPLATE: 'AWS::FIS::ExperimentTemplate',
  /** An EventBridge Scheduler schedule: it invokes its target asynchronously. */
  SCHEDULE: 'AWS::Scheduler::Schedule',
} as const;

/** The kind of stream an event source reads: a Kinesis data stream or a DynamoDB stream. */
export type StreamKind = 'kinesis' | 'dynamodb';

/** A resource's `Properties` as the template holds them (see the file's comment). */
export type TemplateProperties = Readonly<Record<string, unknown>>;

/** One resource of a stack as its template renders it (tokens resolved). */
export interface ModelResource {
  readonly logicalId: string;
  readonly type: string;
  /** Read through the accessors of `cfn-properties.ts`. */
  readonly properties: TemplateProperties;
  readonly construct: CfnResource;
  /** The construct path of the resource's owner (its L2 when there is one). */
  readonly name: string;
}

/** A resource of the stack that threw while rendering: the checks cannot read it. */
export interface UnrenderedResource {
  readonly construct: CfnResource;
  /** The first line of the error. */
  readonly error: string;
}

/** A name-based ARN or URL: the service and the resource name it ends with. */
interface NamedReference {
  readonly service: 'sqs' | 'lambda' | 'sns' | 'events';
  readonly name: string;
}

/** The physical-name property of each type whose ARN others may build from the name. */
const NAME_PROPERTIES: Record<string, { service: NamedReference['service']; property: string }> = {
  [CFN_TYPE.QUEUE]: { service: 'sqs', property: 'QueueName' },
  [CFN_TYPE.FUNCTION]: { service: 'lambda', property: 'FunctionName' },
  [CFN_TYPE.TOPIC]: { service: 'sns', property: 'TopicName' },
  [CFN_TYPE.BUS]: { service: 'events', property: 'Name' },
};

/**
 * The resources of one stack as its template renders them, with the lookups
 * that checks need: resources by type, and the resources that a property
 * value refers to, by `Ref`, `Fn::GetAtt`, or an ARN or URL built from a
 * literal physical name.
 */
export class CfnModel {
  /** The model of every stack under `scope` (the scope's own stack included). */
  public static of(scope: IConstruct): CfnModel[] {
    const stacks = new Set<Stack>();
    if (Stack.isStack(scope)) stacks.add(scope);
    for (const child of scope.node.findAll()) {
      if (CfnResource.isCfnResource(child)) stacks.add(Stack.of(child));
    }
    return [...stacks].map(stack => new CfnModel(stack));
  }

  public readonly resources: ModelResource[] = [];
  /** The resources that threw while rendering, with the error. */
  public readonly unrendered: UnrenderedResource[] = [];
  private readonly byLogicalId = new Map<string, ModelResource>();
  private readonly byConstruct = new Map<CfnResource, ModelResource>();
  private readonly byName = new Map<string, ModelResource>();
  private readonly byType = new Map<string, ModelResource[]>();
  /** Each resource's position in `resources`, so that lookups over several types keep the template's order. */
  private readonly position = new Map<ModelResource, number>();
  /**
   * What each value refers to (`referencedBy` with no type), by the value:
   * rules and links ask about the same property objects again and again
   * (every policy asks about every function's role), and the model does not
   * change once built.
   */
  private readonly referencesOfObject = new WeakMap<object, readonly ModelResource[]>();
  private readonly referencesOfString = new Map<string, readonly ModelResource[]>();

  constructor(public readonly stack: Stack) {
    for (const child of stack.node.findAll()) {
      if (!CfnResource.isCfnResource(child) || Stack.of(child) !== stack) continue;
      const rendered = renderedResource(stack, child);
      if (rendered instanceof Error) {
        this.unrendered.push({ construct: child, error: firstLine(rendered) });
        continue;
      }
      // Not in the template (e.g. an IAM policy without statements).
      if (!rendered) continue;
      const resource: ModelResource = {
        logicalId: rendered.logicalId,
        type: rendered.type,
        properties: rendered.properties,
        construct: child,
        name: ownerPath(child),
      };
      this.position.set(resource, this.resources.length);
      this.resources.push(resource);
      const ofType = this.byType.get(resource.type);
      if (ofType) ofType.push(resource);
      else this.byType.set(resource.type, [resource]);
      this.byLogicalId.set(resource.logicalId, resource);
      this.byConstruct.set(child, resource);
      const naming = NAME_PROPERTIES[resource.type];
      const name = naming && resource.properties[naming.property];
      if (typeof name === 'string') this.byName.set(`${naming.service}:${name}`, resource);
    }
  }

  /** The resources of these types, in template order. */
  public ofType(...types: string[]): ModelResource[] {
    if (types.length === 1) return [...this.byType.get(types[0]) ?? []];
    const found = [...new Set(types)].flatMap(type => this.byType.get(type) ?? []);
    return found.sort((a, b) => this.position.get(a)! - this.position.get(b)!);
  }

  /** The model of a construct of this stack. */
  public resourceOf(construct: CfnResource): ModelResource | undefined {
    return this.byConstruct.get(construct);
  }

  /** Why a construct of this stack could not be rendered, if it could not. */
  public renderErrorOf(construct: CfnResource): string | undefined {
    return this.unrendered.find(u => u.construct === construct)?.error;
  }

  /**
   * The resources (of these types, when given) that a resolved property value
   * refers to: through `Ref` or `Fn::GetAtt` anywhere in it, or as an ARN or
   * URL that ends with the literal name of a queue, function, topic or bus.
   * An array is read element by element.
   */
  public referencedBy(value: unknown, ...types: string[]): ModelResource[] {
    const all = this.referencesOf(value);
    return types.length === 0 ? [...all] : all.filter(r => types.includes(r.type));
  }

  /** What `value` refers to, of any type, computed once per value (see `referencesOfObject`). */
  private referencesOf(value: unknown): readonly ModelResource[] {
    if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean') return [];
    const cache = typeof value === 'object' ? this.referencesOfObject : undefined;
    const known = cache ? cache.get(value as object) : typeof value === 'string' ? this.referencesOfString.get(value) : undefined;
    if (known) return known;
    const found = this.lookUpReferences(value);
    if (cache) cache.set(value as object, found);
    else if (typeof value === 'string') this.referencesOfString.set(value, found);
    return found;
  }

  private lookUpReferences(value: unknown): ModelResource[] {
    const found = new Set<ModelResource>();
    const values = Array.isArray(value) ? value : [value];
    for (const element of values) {
      for (const logicalId of referencedLogicalIds(element)) {
        const resource = this.byLogicalId.get(logicalId);
        if (resource) found.add(resource);
      }
      const named = namedReference(flatten(element));
      const resource = named && this.byName.get(`${named.service}:${named.name}`);
      if (resource) found.add(resource);
    }
    // An alias or a version of a function stands for the function.
    for (const resource of [...found]) {
      if (resource.type === CFN_TYPE.FUNCTION_ALIAS || resource.type === CFN_TYPE.FUNCTION_VERSION) {
        for (const logicalId of referencedLogicalIds(resource.properties.FunctionName)) {
          const fn = this.byLogicalId.get(logicalId);
          if (fn) found.add(fn);
        }
      }
    }
    return [...found];
  }

  /** The types of the resources of other stacks that a resolved value refers to (by their `CROSS_STACK` markers). */
  public crossStackTypes(value: unknown): string[] {
    const types: string[] = [];
    const visit = (v: unknown): void => {
      if (typeof v === 'string') {
        for (const match of v.matchAll(new RegExp(`${CROSS_STACK}(\\S+) `, 'g'))) types.push(match[1]);
      } else if (v && typeof v === 'object') {
        Object.values(v).forEach(visit);
      }
    };
    visit(value);
    return types;
  }

  /** The queue, function, topic or bus whose literal physical name is `name`. */
  public named(service: NamedReference['service'], name: string): ModelResource | undefined {
    return this.byName.get(`${service}:${name}`);
  }

  /**
   * Whether a value (an event source or a pipe's source) is a stream, and of
   * which kind: a `Ref` or `Fn::GetAtt` of a Kinesis stream, stream consumer
   * or DynamoDB table of this stack or another, or an ARN whose service and
   * resource show a stream (`kinesis:...:stream/<name>`,
   * `dynamodb:...:table/<name>/stream/<label>`), even with parts unknown at
   * synth time.
   */
  public streamKind(value: unknown): StreamKind | undefined {
    const kinesis: string[] = [CFN_TYPE.KINESIS_STREAM, CFN_TYPE.KINESIS_STREAM_CONSUMER];
    const dynamodb: string[] = [CFN_TYPE.TABLE, CFN_TYPE.GLOBAL_TABLE];
    const types = [...this.referencedBy(value).map(r => r.type), ...this.crossStackTypes(value)];
    if (types.some(type => kinesis.includes(type))) return 'kinesis';
    if (types.some(type => dynamodb.includes(type))) return 'dynamodb';
    const text = flatten(value);
    if (/^arn:[^:]*:kinesis:[^:]*:[^:]*:stream\/./.test(text)) return 'kinesis';
    if (/^arn:[^:]*:dynamodb:[^:]*:[^:]*:table\/[^/]+\/stream\/./.test(text)) return 'dynamodb';
    return undefined;
  }

  /** The one resource of these types that a value refers to, if exactly one. */
  public referencedOne(value: unknown, ...types: string[]): ModelResource | undefined {
    const found = this.referencedBy(value, ...types);
    return found.length === 1 ? found[0] : undefined;
  }
}

/** The resource as its template renders it; `undefined` when it is not in the template; the error when it throws. */
function renderedResource(stack: Stack, resource: CfnResource):
{ logicalId: string; type: string; properties: TemplateProperties } | undefined | Error {
  let rendered: any;
  try {
    rendered = Tokenization.resolve(resource._toCloudFormation(), { scope: stack, resolver: new ModelResolver(stack), preparing: false });
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  const entries = Object.entries(rendered?.Resources ?? {});
  if (entries.length !== 1) return undefined;
  const [logicalId, body] = entries[0] as [string, any];
  return { logicalId, type: body.Type, properties: body.Properties ?? {} };
}

/** The first line of an error's message, without the prefix that each level of token resolution repeats, or the trailing dots. */
function firstLine(error: Error): string {
  return error.message.split('\n')[0].replace(/^(Resolution error: )+/, 'Resolution error: ').replace(/\.\.\.$/, '');
}

/**
 * Resolves like a template does, except that a reference to a resource of
 * another stack becomes a `CROSS_STACK` marker with the resource's type.
 */
class ModelResolver extends DefaultTokenResolver {
  constructor(private readonly stack: Stack) {
    super(new JoinConcatenator());
  }

  public resolveToken(token: IResolvable, context: IResolveContext, postProcessor: IPostProcessor): any {
    if (token instanceof Reference && Stack.of(token.target) !== this.stack) {
      const type = CfnResource.isCfnResource(token.target) ? token.target.cfnResourceType : 'unknown';
      return `${CROSS_STACK}${type} ${token.target.node.path}`;
    }
    return super.resolveToken(token, context, postProcessor);
  }
}

/** Joins string fragments with intrinsics into `Fn::Join`, as a template would. */
class JoinConcatenator implements IFragmentConcatenator {
  public join(left: any, right: any): any {
    if (left === undefined) return right;
    if (right === undefined) return left;
    if (typeof left === 'string' && typeof right === 'string') return left + right;
    return { 'Fn::Join': ['', [left, right]] };
  }
}

/**
 * The path of the construct that owns a resource: the outermost construct of
 * which it is the default child (its L2, or the L3 around that), short of the stack.
 */
function ownerPath(resource: CfnResource): string {
  let owner: IConstruct = resource;
  for (let scope = owner.node.scope; scope && !Stack.isStack(scope) && defaultChildOf(scope) === owner; scope = scope.node.scope) {
    owner = scope;
  }
  return owner.node.path;
}

/**
 * A scope's default child, as `node.defaultChild` finds it, except where that
 * throws: a scope with both a `Resource` and a `Default` child and no default
 * child set (a REST API's path rebuilt from a template: its `Resource` and its
 * root method's `Default`) has its `Resource` as default child.
 */
function defaultChildOf(scope: IConstruct): IConstruct | undefined {
  try {
    return scope.node.defaultChild;
  } catch {
    return scope.node.tryFindChild('Resource');
  }
}

function referencedLogicalIds(value: unknown): string[] {
  const ids: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.Ref === 'string' && !o.Ref.startsWith('AWS::')) ids.push(o.Ref);
      const getAtt = o['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') ids.push(getAtt[0]);
      Object.values(o).forEach(visit);
    }
  };
  visit(value);
  return ids;
}

/** A string with the parts that are not known at synth time replaced by `UNKNOWN`. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const join = (value as Record<string, unknown>)['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(flatten).join(join[0]);
    }
  }
  return UNKNOWN;
}

/** The service and resource name at the end of an ARN or SQS URL whose name is literal (has no `UNKNOWN` part). */
function namedReference(text: string): NamedReference | undefined {
  const patterns: Array<[NamedReference['service'], RegExp]> = [
    ['sqs', /^arn:[^:]*:sqs:[^:]*:[^:]*:([^:/*\u0000]+)$/],
    ['sqs', /^https:\/\/[^/]*sqs[^/]*\/[^/]+\/([^/*\u0000]+)$/],
    ['lambda', /^arn:[^:]*:lambda:[^:]*:[^:]*:function:([^:*\u0000]+)(:[^:]*)?$/],
    ['sns', /^arn:[^:]*:sns:[^:]*:[^:]*:([^:*\u0000]+)$/],
    ['events', /^arn:[^:]*:events:[^:]*:[^:]*:event-bus\/([^*\u0000]+)$/],
  ];
  for (const [service, pattern] of patterns) {
    const match = pattern.exec(text);
    if (match) return { service, name: match[1] };
  }
  return undefined;
}
