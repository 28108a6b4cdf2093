/**
 * A CloudFormation template rebuilt as a `Stack`, so that the checks and the
 * retry budget, which read a stack's `CfnModel`, run on any template: one
 * generic `CfnResource` per resource, of the template's type, with its
 * properties as they are, its logical ID, its metadata and its other
 * attributes (`DependsOn`, `Condition`, ...). Rules read templates through the
 * model, so the rebuilt stack gives them what the app's own stack gives them.
 *
 * Why generic resources, not `cloudformation-include`: `CfnInclude` parses
 * each property into its typed L1 class and resolves every `Ref`, so it throws
 * on what the checks need not understand (a property of an unexpected type, a
 * reference to something the template does not declare, a resource type newer
 * than aws-cdk-lib). A generic resource renders exactly what it was given.
 *
 * Where each resource goes: at its construct path when the template has
 * `aws:cdk:path` metadata (so findings and retry paths name the constructs the
 * app's own checks name), otherwise under the stack, with its logical ID as
 * construct ID.
 *
 * What the template fixes statically is resolved: `Fn::FindInMap` with
 * literal keys (from the template's `Mappings`), `Fn::Select` of a literal
 * list, `Fn::Join` of literals, and a `Ref` to a parameter whose value the
 * caller gives (`parameters`, the command line's `--parameter`). What only a
 * deployment knows stays as it is (`Ref` to any other parameter,
 * `Fn::ImportValue`, `Fn::If`, ...), as the app's own model leaves it: a rule
 * that cannot read a value reports nothing on it. Two short forms are written
 * out: `Fn::GetAtt` as a string (`Queue.Arn`), and `Fn::Sub`, which becomes
 * the `Fn::Join` of its literal parts and references.
 *
 * Acknowledgements: cdk-nag's `cdk_nag` metadata (`rules_to_suppress`, each
 * `{ id, reason, applies_to? }`) on a resource, and the acknowledgements that
 * `Validations.acknowledge()` recorded in a cloud assembly (construct path to
 * `{ id: reason }`), become acknowledgements on the rebuilt constructs.
 */
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

/** A resource attribute that a template may set besides `Type`, `Properties` and `Metadata`. */
const ATTRIBUTES = ['DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy', 'UpdatePolicy', 'CreationPolicy'];

/** The metadata key under which aws-cdk-lib records a resource's construct path. */
const PATH_METADATA = 'aws:cdk:path';

/** How to rebuild a template. */
export interface TemplateStackOptions {
  /**
   * The construct path of the stack (`Stage/Stack` for a stack in a stage).
   * @default - the first segment of the resources' `aws:cdk:path`, or 'Template'
   */
  readonly stackPath?: string;
  /** Acknowledgements recorded in a cloud assembly: construct path (with or without a leading '/') to `{ id: reason }`. */
  readonly acknowledgements?: ReadonlyArray<{ readonly path: string; readonly rules: Readonly<Record<string, string>> }>;
  /**
   * The construct path of each logical ID, as a cloud assembly records it
   * (`aws:cdk:logicalId` metadata), for templates synthesized without `aws:cdk:path` metadata.
   * @default - the resources' `aws:cdk:path` metadata only
   */
  readonly paths?: ReadonlyMap<string, string>;
  /**
   * Values of the template's parameters, as a deployment would pass them: a `Ref` to one of them reads as its value.
   * @default - none: every parameter is left to deployment (its `Default` too, which a deployment may override)
   */
  readonly parameters?: Readonly<Record<string, string>>;
}

/** A template rebuilt as a stack. */
export interface TemplateStack {
  readonly stack: Stack;
  /** The logical ID of each rebuilt resource, by its construct path. */
  readonly logicalIds: ReadonlyMap<string, string>;
  /** The construct path of each rebuilt resource that had no `aws:cdk:path` (so has no path of its own), by construct path. */
  readonly placedByLogicalId: ReadonlySet<string>;
}

/** The template rebuilt as a stack (see the file's comment). Throws if `template` is not a template. */
export function templateStack(template: unknown, options: TemplateStackOptions = {}): TemplateStack {
  if (!isObject(template) || !isObject(template.Resources)) {
    throw new Error('not a CloudFormation template: it has no Resources object');
  }
  const resources = Object.entries(template.Resources).filter((entry): entry is [string, Record<string, unknown>] => isObject(entry[1]));
  const stackPath = options.stackPath ?? firstSegment(resources) ?? 'Template';
  const root = new Construct(undefined as any, '');
  let scope: Construct = root;
  const segments = stackPath.split('/').filter(s => s.length > 0);
  for (const segment of segments.slice(0, -1)) scope = new Construct(scope, segment);
  // A fixed stack name: one derived from an arbitrary construct ID may not be a valid stack name.
  const stack = new Stack(scope, segments[segments.length - 1] ?? 'Template', { stackName: 'Template' });

  const logicalIds = new Map<string, string>();
  const placedByLogicalId = new Set<string>();
  const fixed: StaticValues = {
    mappings: isObject(template.Mappings) ? template.Mappings : {},
    parameters: options.parameters ?? {},
  };
  for (const [logicalId, body] of resources) {
    if (typeof body.Type !== 'string') continue;
    const metadata = isObject(body.Metadata) ? body.Metadata : {};
    const cdkPath = metadata[PATH_METADATA] ?? options.paths?.get(logicalId);
    const resource = placeResource(stack, logicalId, body.Type, normalize(body.Properties ?? {}, fixed), cdkPath);
    resource.overrideLogicalId(logicalId);
    for (const [key, value] of Object.entries(metadata)) resource.addMetadata(key, value);
    for (const attribute of ATTRIBUTES) {
      if (body[attribute] !== undefined) resource.addOverride(attribute, body[attribute]);
    }
    acknowledge(resource, nagSuppressions(metadata.cdk_nag));
    logicalIds.set(resource.node.path, logicalId);
    if (resource.node.path !== cdkPath) placedByLogicalId.add(resource.node.path);
  }

  for (const { path, rules } of options.acknowledgements ?? []) {
    const construct = findPath(root, path);
    if (construct) construct.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { ...rules });
  }
  return { stack, logicalIds, placedByLogicalId };
}

/** A generic resource at its construct path under the stack when it has one that is free, else under the stack by logical ID. */
function placeResource(stack: Stack, logicalId: string, type: string, properties: unknown, cdkPath: unknown): CfnResource {
  const props = { type, properties: isObject(properties) ? properties : {} };
  const prefix = `${stack.node.path}/`;
  if (typeof cdkPath === 'string' && cdkPath.startsWith(prefix)) {
    const segments = cdkPath.slice(prefix.length).split('/');
    let scope: Construct = stack;
    for (const segment of segments.slice(0, -1)) {
      const child = scope.node.tryFindChild(segment);
      scope = (child as Construct | undefined) ?? new Construct(scope, segment);
    }
    const id = segments[segments.length - 1];
    if (id && !scope.node.tryFindChild(id)) return new CfnResource(scope, id, props);
  }
  let id = logicalId;
  for (let n = 2; stack.node.tryFindChild(id); n++) id = `${logicalId}.${n}`;
  return new CfnResource(stack, id, props);
}

/** The stack's construct ID as most resources' `aws:cdk:path` start with it. */
function firstSegment(resources: Array<[string, Record<string, unknown>]>): string | undefined {
  const counts = new Map<string, number>();
  for (const [, body] of resources) {
    const path = isObject(body.Metadata) ? body.Metadata[PATH_METADATA] : undefined;
    if (typeof path === 'string' && path.includes('/')) {
      const first = path.split('/')[0];
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** The rules that cdk-nag's `cdk_nag` metadata suppresses, as acknowledgement ids with their reasons. */
function nagSuppressions(metadata: unknown): Record<string, string> {
  const rules: Record<string, string> = {};
  const suppressions = isObject(metadata) && Array.isArray(metadata.rules_to_suppress) ? metadata.rules_to_suppress : [];
  for (const suppression of suppressions) {
    if (!isObject(suppression) || typeof suppression.id !== 'string') continue;
    const reason = typeof suppression.reason === 'string' ? suppression.reason : '';
    const appliesTo = Array.isArray(suppression.applies_to) ? suppression.applies_to.filter((a): a is string => typeof a === 'string') : [];
    // `applies_to` narrows the suppression to those findings of the rule (cdk-nag's `<rule>[<finding>]`).
    if (appliesTo.length === 0) rules[suppression.id] = reason;
    for (const finding of appliesTo) rules[`${suppression.id}[${finding}]`] = reason;
  }
  return rules;
}

function acknowledge(construct: IConstruct, rules: Record<string, string>): void {
  if (Object.keys(rules).length > 0) construct.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, rules);
}

function findPath(root: IConstruct, path: string): IConstruct | undefined {
  let construct: IConstruct | undefined = root;
  for (const segment of path.split('/').filter(s => s.length > 0)) {
    construct = construct.node.tryFindChild(segment);
    if (!construct) return undefined;
  }
  return construct;
}

/** What the template fixes without a deployment: its mappings, and the parameter values the caller gives. */
interface StaticValues {
  readonly mappings: Record<string, unknown>;
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * The value with `Fn::GetAtt` in its array form, `Fn::Sub` as `Fn::Join`,
 * and what the template fixes statically resolved (see the file's comment).
 */
function normalize(value: unknown, fixed: StaticValues): unknown {
  if (Array.isArray(value)) return value.map(v => normalize(v, fixed));
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'Fn::GetAtt' && typeof value['Fn::GetAtt'] === 'string') {
    const text = value['Fn::GetAtt'];
    const dot = text.indexOf('.');
    return dot > 0 ? { 'Fn::GetAtt': [text.slice(0, dot), text.slice(dot + 1)] } : value;
  }
  if (keys.length === 1 && keys[0] === 'Fn::Sub') {
    const sub = value['Fn::Sub'];
    if (typeof sub === 'string') return substitution(sub, {}, fixed);
    if (Array.isArray(sub) && typeof sub[0] === 'string' && (sub[1] === undefined || isObject(sub[1]))) {
      return substitution(sub[0], (sub[1] ?? {}) as Record<string, unknown>, fixed);
    }
    return value;
  }
  if (keys.length === 1 && keys[0] === 'Ref' && typeof value.Ref === 'string' && Object.prototype.hasOwnProperty.call(fixed.parameters, value.Ref)) {
    return fixed.parameters[value.Ref];
  }
  const normalized = Object.fromEntries(keys.map(key => [key, normalize(value[key], fixed)]));
  return keys.length === 1 ? staticValue(keys[0], normalized[keys[0]], fixed) ?? normalized : normalized;
}

/** What `Fn::FindInMap`, `Fn::Select` or `Fn::Join` gives when all its arguments are literals (after normalizing); else `undefined`. */
function staticValue(fn: string, args: unknown, fixed: StaticValues): unknown {
  if (!Array.isArray(args)) return undefined;
  if (fn === 'Fn::FindInMap' && args.length >= 3 && args.slice(0, 3).every(a => typeof a === 'string')) {
    const [map, top, second] = args as string[];
    const mapping = fixed.mappings[map];
    const entry = isObject(mapping) ? mapping[top] : undefined;
    const found = isObject(entry) ? entry[second] : undefined;
    // The value may itself be a list or use an intrinsic; it is read as the template gives it.
    return found === undefined ? undefined : normalize(found, fixed);
  }
  if (fn === 'Fn::Select' && args.length === 2 && Array.isArray(args[1])) {
    const index = typeof args[0] === 'number' ? args[0] : typeof args[0] === 'string' && /^\d+$/.test(args[0]) ? Number(args[0]) : NaN;
    return Number.isInteger(index) && index < args[1].length ? args[1][index] : undefined;
  }
  if (fn === 'Fn::Join' && args.length === 2 && typeof args[0] === 'string' && Array.isArray(args[1])
    && args[1].every(part => typeof part === 'string' || typeof part === 'number')) {
    return args[1].join(args[0]);
  }
  return undefined;
}

/** `Fn::Sub` as the `Fn::Join` of its parts, or the string itself when it has no variable. */
function substitution(text: string, variables: Record<string, unknown>, fixed: StaticValues): unknown {
  const parts: unknown[] = [];
  let literal = '';
  const pattern = /\$\{([^}]*)\}/g;
  let last = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    literal += text.slice(last, match.index);
    last = match.index + match[0].length;
    const name = match[1].trim();
    if (name.startsWith('!')) {
      literal += `\${${name.slice(1)}}`;
      continue;
    }
    if (literal) parts.push(literal);
    literal = '';
    if (name in variables) {
      parts.push(normalize(variables[name], fixed));
    } else if (Object.prototype.hasOwnProperty.call(fixed.parameters, name)) {
      parts.push(fixed.parameters[name]);
    } else if (name.includes('.') && !name.startsWith('AWS::')) {
      const dot = name.indexOf('.');
      parts.push({ 'Fn::GetAtt': [name.slice(0, dot), name.slice(dot + 1)] });
    } else {
      parts.push({ Ref: name });
    }
  }
  literal += text.slice(last);
  if (literal) parts.push(literal);
  if (parts.every(p => typeof p === 'string' || typeof p === 'number')) return parts.join('');
  return { 'Fn::Join': ['', parts] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
