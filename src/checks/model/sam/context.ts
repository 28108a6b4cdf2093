/**
 * What the expansion of an AWS SAM template builds as it goes: the
 * CloudFormation resources, the SAM resource (and event) each one comes from,
 * what it could not expand, and what it could not read. Every part of the
 * expansion writes here; `expand.ts` starts it and hands the result on.
 */
import { createHash } from 'crypto';

/** A resource as a template holds it. */
export interface CfnResourceBody {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: unknown;
  DeletionPolicy?: unknown;
  UpdateReplacePolicy?: unknown;
  [attribute: string]: unknown;
}

/** The SAM resource, and the event of it, that a generated resource comes from. */
export interface SamOrigin {
  /** The logical ID of the SAM resource a user edits. */
  readonly resource: string;
  /** The name of the event under the SAM resource's `Events`, when the resource comes from one. */
  readonly event?: string;
}

/** A part of the template that the expansion does not turn into CloudFormation, so the checks do not see it. */
export interface UncheckedPart {
  /** The logical ID of the resource that holds it. */
  readonly logicalId: string;
  /** What it is: a resource type, `<type> event <Type>`, a transform. */
  readonly what: string;
  /** The event, when the part is an event of the resource. */
  readonly event?: string;
}

/** Reads and parses (JSON or YAML) a file the template names, relative to the template's folder; throws if it cannot. */
export type FileReader = (relativePath: string) => unknown;

/** The expansion's state (see the file's comment). */
export class ExpansionContext {
  /** The generated template's resources, in the order they were added. */
  public readonly resources: Record<string, CfnResourceBody> = {};
  public readonly origins = new Map<string, SamOrigin>();
  public readonly unchecked: UncheckedPart[] = [];
  /** What could not be read, said in the output (a definition in S3, an application's own template, ...). */
  public readonly notes: string[] = [];
  /** The logical IDs SAM changes (a layer version's gets a hash), by the SAM resource's own: references follow them. */
  public readonly renamed = new Map<string, string>();

  constructor(
    /** The SAM template's own resources, with `Globals` applied. */
    public readonly source: Readonly<Record<string, CfnResourceBody>>,
    /** The template's parameters, for the few values SAM resolves from their defaults. */
    public readonly parameters: Readonly<Record<string, any>>,
    public readonly readFile?: FileReader,
  ) {}

  /** Adds a generated resource, from `origin`; a logical ID taken twice is an error that names it. */
  public add(logicalId: string, body: CfnResourceBody, origin?: SamOrigin): CfnResourceBody {
    if (this.resources[logicalId] !== undefined) {
      throw new Error(`the SAM expansion makes two resources with the logical ID '${logicalId}'${origin ? ` (from ${describe(origin)})` : ''}`);
    }
    this.resources[logicalId] = body;
    if (origin) this.origins.set(logicalId, origin);
    return body;
  }

  /** The value of a `Ref` to a parameter with a default, or a literal; `undefined` for anything else. */
  public literal(value: unknown): unknown {
    if (isObject(value) && typeof value.Ref === 'string' && Object.keys(value).length === 1) {
      const parameter = this.parameters[value.Ref];
      return isObject(parameter) ? parameter.Default : undefined;
    }
    return isObject(value) || Array.isArray(value) ? undefined : value;
  }

  public unexpanded(logicalId: string, what: string, event?: string): void {
    this.unchecked.push({ logicalId, what, ...event !== undefined && { event } });
  }
}

/** The resource attributes SAM passes from a SAM resource to every resource it generates from it. */
export function passedThrough(resource: CfnResourceBody): Record<string, unknown> {
  return Object.fromEntries(['Condition', 'DeletionPolicy', 'UpdateReplacePolicy']
    .filter(attribute => resource[attribute] !== undefined).map(attribute => [attribute, resource[attribute]]));
}

export function describe(origin: SamOrigin): string {
  return origin.event ? `${origin.resource}, event ${origin.event}` : origin.resource;
}

export function ref(logicalId: string): { Ref: string } {
  return { Ref: logicalId };
}

export function getAtt(logicalId: string, attribute: string): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [logicalId, attribute] };
}

/** The logical ID that a `Ref` or `Fn::GetAtt` names, if the value is one. */
/**
 * The `AWS::SQS::QueuePolicy` that SAM writes to let `principal` (a service, or `*`) send to a queue, from `sourceArn` only.
 * @param queueArn the queue's ARN (the policy's resource)
 * @param queue what the policy's `Queues` names: the queue's URL (a `Ref`)
 */
export function sendToQueuePolicy(principal: unknown, queueArn: unknown, queue: unknown, sourceArn: unknown): CfnResourceBody {
  return {
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'sqs:SendMessage', Effect: 'Allow', Principal: principal, Resource: queueArn, Condition: { ArnEquals: { 'aws:SourceArn': sourceArn } } }],
      },
      Queues: [queue],
    },
  };
}

export function logicalIdOf(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const attribute = value['Fn::GetAtt'];
  if (Array.isArray(attribute) && typeof attribute[0] === 'string') return attribute[0];
  if (typeof attribute === 'string') return attribute.split('.')[0];
  return undefined;
}

/** `Properties` without the keys whose value is `undefined`. */
export function defined(properties: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined));
}

/**
 * The hash that SAM appends to a generated logical ID (a version's, a
 * deployment's): the first `length` hex digits of the SHA-1 of the data as
 * Python's `json.dumps(data, separators=(',', ':'), sort_keys=True)` writes
 * it (a string is hashed as it is).
 */
export function samHash(data: unknown, length = 10): string {
  const text = typeof data === 'string' ? data : pythonJson(data);
  return createHash('sha1').update(text, 'utf8').digest('hex').slice(0, length);
}

/** JSON as Python's `json.dumps` writes it with sorted keys, ASCII only, and the given separators. */
export function pythonJson(value: unknown, indent?: number, level = 0): string {
  const pad = (n: number) => indent === undefined ? '' : `\n${' '.repeat(indent * n)}`;
  const [comma, colon] = indent === undefined ? [',', ':'] : [',', ': '];
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map(v => pad(level + 1) + pythonJson(v, indent, level + 1)).join(comma)}${pad(level)}]`;
  }
  if (isObject(value)) {
    const keys = Object.keys(value).filter(k => value[k] !== undefined).sort();
    if (keys.length === 0) return '{}';
    return `{${keys.map(k => `${pad(level + 1)}${ascii(JSON.stringify(k))}${colon}${pythonJson(value[k], indent, level + 1)}`).join(comma)}${pad(level)}}`;
  }
  if (typeof value === 'string') return ascii(JSON.stringify(value));
  return JSON.stringify(value ?? null);
}

function ascii(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a list: a list as it is, anything else (but `undefined`) as a list of one. */
export function listOf(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
