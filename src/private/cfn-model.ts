import {
  CfnResource, DefaultTokenResolver, IFragmentConcatenator, IPostProcessor, IResolvable, IResolveContext, Reference, Stack, Tokenization,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One resource of a stack as its template renders it (tokens resolved). */
export interface ModelResource {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: any;
  readonly construct: CfnResource;
  /** The construct path of the resource's owner (its L2 when there is one). */
  readonly name: string;
}

/** A name-based ARN or URL: the service and the resource name it ends with. */
interface NamedReference {
  readonly service: 'sqs' | 'lambda' | 'sns' | 'events';
  readonly name: string;
}

/** The physical-name property of each type whose ARN others may build from the name. */
const NAME_PROPERTIES: Record<string, { service: NamedReference['service']; property: string }> = {
  'AWS::SQS::Queue': { service: 'sqs', property: 'QueueName' },
  'AWS::Lambda::Function': { service: 'lambda', property: 'FunctionName' },
  'AWS::SNS::Topic': { service: 'sns', property: 'TopicName' },
  'AWS::Events::EventBus': { service: 'events', property: 'Name' },
};

/** A placeholder for a part of a string that is not known at synth time. */
const UNKNOWN = '\u0000';

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
  private readonly byLogicalId = new Map<string, ModelResource>();
  private readonly byConstruct = new Map<CfnResource, ModelResource>();
  private readonly byName = new Map<string, ModelResource>();

  constructor(public readonly stack: Stack) {
    for (const child of stack.node.findAll()) {
      if (!CfnResource.isCfnResource(child) || Stack.of(child) !== stack) continue;
      const rendered = renderedResource(stack, child);
      if (!rendered) continue;
      const resource: ModelResource = {
        logicalId: rendered.logicalId,
        type: rendered.type,
        properties: rendered.properties ?? {},
        construct: child,
        name: ownerPath(child),
      };
      this.resources.push(resource);
      this.byLogicalId.set(resource.logicalId, resource);
      this.byConstruct.set(child, resource);
      const naming = NAME_PROPERTIES[resource.type];
      const name = naming && resource.properties[naming.property];
      if (typeof name === 'string') this.byName.set(`${naming.service}:${name}`, resource);
    }
  }

  /** The resources of these types. */
  public ofType(...types: string[]): ModelResource[] {
    return this.resources.filter(r => types.includes(r.type));
  }

  /** The model of a construct of this stack. */
  public resourceOf(construct: CfnResource): ModelResource | undefined {
    return this.byConstruct.get(construct);
  }

  /**
   * The resources (of these types, when given) that a resolved property value
   * refers to: through `Ref` or `Fn::GetAtt` anywhere in it, or as an ARN or
   * URL that ends with the literal name of a queue, function, topic or bus.
   * An array is read element by element.
   */
  public referencedBy(value: unknown, ...types: string[]): ModelResource[] {
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
      if (resource.type === 'AWS::Lambda::Alias' || resource.type === 'AWS::Lambda::Version') {
        for (const logicalId of referencedLogicalIds(resource.properties.FunctionName)) {
          const fn = this.byLogicalId.get(logicalId);
          if (fn) found.add(fn);
        }
      }
    }
    return [...found].filter(r => types.length === 0 || types.includes(r.type));
  }

  /** The types of the resources of other stacks that a resolved value refers to. */
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
  public named(service: 'sqs' | 'lambda' | 'sns' | 'events', name: string): ModelResource | undefined {
    return this.byName.get(`${service}:${name}`);
  }

  /** The one resource of these types that a value refers to, if exactly one. */
  public referencedOne(value: unknown, ...types: string[]): ModelResource | undefined {
    const found = this.referencedBy(value, ...types);
    return found.length === 1 ? found[0] : undefined;
  }
}

function renderedResource(stack: Stack, resource: CfnResource):
{ logicalId: string; type: string; properties: any } | undefined {
  let rendered: any;
  try {
    rendered = Tokenization.resolve(resource._toCloudFormation(), { scope: stack, resolver: new ModelResolver(stack), preparing: false });
  } catch {
    // A resource that cannot render fails synthesis on its own; the checks skip it.
    return undefined;
  }
  const entries = Object.entries(rendered?.Resources ?? {});
  if (entries.length !== 1) return undefined;
  const [logicalId, body] = entries[0] as [string, any];
  return { logicalId, type: body.Type, properties: body.Properties };
}

/** Marks a reference to a resource of another stack: `<marker><type> <path>`. */
const CROSS_STACK = '\u0001cross-stack:';

/**
 * Resolves like a template does, except that a reference to a resource of
 * another stack becomes a marker with the resource's type: before synthesis,
 * it would resolve to a logical ID that may also exist in this stack.
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
  for (let scope = owner.node.scope; scope && !Stack.isStack(scope) && scope.node.defaultChild === owner; scope = scope.node.scope) {
    owner = scope;
  }
  return owner.node.path;
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

/** A string with the parts that are not known at synth time replaced by a placeholder. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const join = (value as Record<string, unknown>)['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(flatten).join(join[0]);
    }
  }
  return UNKNOWN;
}

/** The service and resource name at the end of an ARN or SQS URL whose name is literal. */
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

/** A number from a template value (numbers are sometimes strings there), or `fallback`. */
export function numberOr(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

/** Whether the template properties of a queue describe a FIFO queue. */
export function isFifoQueue(properties: any): boolean {
  return properties.FifoQueue === true || properties.FifoQueue === 'true'
    || (typeof properties.QueueName === 'string' && properties.QueueName.endsWith('.fifo'));
}
