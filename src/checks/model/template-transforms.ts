/**
 * What a template's transforms mean for the checks, before they run: the
 * template they should read, and what they cannot read.
 *
 * - `AWS::Serverless-2016-10-31` (AWS SAM) is expanded as the SAM translator
 *   would (`sam/expand.ts`); what the expansion does not cover is listed.
 * - `AWS::LanguageExtensions` changes nothing the checks read, except in the
 *   resources that use `Fn::ForEach`, `Fn::Length` or `Fn::ToJsonString`:
 *   those are listed.
 * - Any other transform (a macro, `AWS::Include` as a template-level transform)
 *   is not expanded: the resources it defines (of types that are not
 *   CloudFormation's) are listed, and nothing it adds or changes is checked.
 * - `Fn::Transform` inside a resource (`AWS::Include` of a snippet, a macro)
 *   leaves that resource's content unknown: the resource is listed. Resources
 *   that an `Fn::Transform` in `Resources` adds are not checked. An API's
 *   OpenAPI `Body` included so is only noted: no rule reads an API's body.
 * A listed part is never dropped in silence: the command reports it.
 */
import { isObject } from './sam/context';
import { expandSam, SAM_TRANSFORM } from './sam/expand';

/** What a transform leaves unchecked. */
export interface UncheckedTransform {
  /** The transform's name. */
  readonly transform: string;
  /** The logical IDs of the resources it leaves unchecked, in whole or in part. */
  readonly logicalIds: string[];
  /** Each unchecked part, in words (`Fn (AWS::Serverless::Function event "X" of type "IoT")`). */
  readonly parts: string[];
}

/** A template ready for the checks. */
export interface TransformedTemplate {
  readonly template: Record<string, any>;
  /** The transforms the template declares, by name. */
  readonly transforms: string[];
  /** For each generated resource, the SAM resource and event it comes from. */
  readonly origins: ReadonlyMap<string, { readonly resource: string; readonly event?: string }>;
  readonly unchecked: UncheckedTransform[];
  readonly notes: readonly string[];
}

const LANGUAGE_EXTENSIONS = 'AWS::LanguageExtensions';

/** The template with its transforms applied where the command can (see the file's comment). `readFile` reads a file next to the template. */
export function applyTransforms(template: Record<string, any>, readFile?: (relativePath: string) => unknown): TransformedTemplate {
  const transforms = transformNames(template.Transform);
  const unchecked: UncheckedTransform[] = [];
  let result: Record<string, any> = template;
  let origins: ReadonlyMap<string, { resource: string; event?: string }> = new Map();
  let notes: readonly string[] = [];
  if (transforms.includes(SAM_TRANSFORM)) {
    const expansion = expandSam(template, readFile);
    result = expansion.template;
    origins = expansion.origins;
    notes = expansion.notes;
    if (expansion.unchecked.length > 0) {
      unchecked.push({
        transform: SAM_TRANSFORM,
        logicalIds: [...new Set(expansion.unchecked.map(u => u.logicalId))],
        parts: expansion.unchecked.map(u => `${u.logicalId}${u.event ? ` event ${u.event}` : ''} (${u.what})`),
      });
    }
  }
  const resources: Record<string, any> = isObject(result.Resources) ? result.Resources : {};
  // The SAM expansion drops what is not a resource (an Fn::ForEach entry): language extensions are looked for as written.
  const written: Record<string, any> = isObject(template.Resources) ? template.Resources : {};
  for (const transform of transforms.filter(t => t !== SAM_TRANSFORM)) {
    const logicalIds = transform === LANGUAGE_EXTENSIONS
      ? Object.keys(written).filter(id => id.startsWith('Fn::ForEach::') || /"Fn::(Length|ToJsonString)"/.test(JSON.stringify(written[id])))
      : Object.keys(resources).filter(id => !isCloudFormationType(resources[id]?.Type));
    if (transform === LANGUAGE_EXTENSIONS && logicalIds.length === 0) continue;
    unchecked.push({
      transform,
      logicalIds,
      parts: transform === LANGUAGE_EXTENSIONS
        ? logicalIds.map(id => `${id} (uses Fn::ForEach, Fn::Length or Fn::ToJsonString)`)
        : ['what the transform adds to or changes in the template', ...logicalIds.map(id => `${id} (${resources[id]?.Type})`)],
    });
  }
  const included = Object.keys(resources).filter(id => id === 'Fn::Transform' || JSON.stringify(resources[id]).includes('"Fn::Transform"'));
  const extraNotes: string[] = [];
  for (const id of included) {
    if (API_TYPES.includes(resources[id]?.Type) && !JSON.stringify({ ...resources[id], Properties: { ...resources[id].Properties, Body: undefined } }).includes('"Fn::Transform"')) {
      extraNotes.push(`${id}: its OpenAPI body comes from Fn::Transform, which is not read; no rule reads an API's body`);
      continue;
    }
    const name = transformNames(id === 'Fn::Transform' ? resources[id] : findTransform(resources[id]))[0] ?? 'Fn::Transform';
    const entry = unchecked.find(u => u.transform === name) ?? (unchecked[unchecked.push({ transform: name, logicalIds: [], parts: [] }) - 1]);
    entry.logicalIds.push(id);
    entry.parts.push(id === 'Fn::Transform' ? 'the resources that Fn::Transform adds to Resources' : `${id} (its content comes from Fn::Transform)`);
  }
  return { template: result, transforms, origins, unchecked, notes: [...notes, ...extraNotes] };
}

/** The APIs whose `Body` (an OpenAPI document, often included with `Fn::Transform`) no rule reads. */
const API_TYPES = ['AWS::ApiGateway::RestApi', 'AWS::ApiGatewayV2::Api'];

/** The names of the transforms a `Transform` value (or an `Fn::Transform`) declares. */
export function transformNames(value: unknown): string[] {
  const entries = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return entries.map(entry => typeof entry === 'string' ? entry : isObject(entry) && typeof entry.Name === 'string' ? entry.Name : JSON.stringify(entry));
}

function findTransform(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(findTransform).find(v => v !== undefined);
  if (!isObject(value)) return undefined;
  if (value['Fn::Transform'] !== undefined) return value['Fn::Transform'];
  return Object.values(value).map(findTransform).find(v => v !== undefined);
}

function isCloudFormationType(type: unknown): boolean {
  return typeof type === 'string' && /^(AWS|Alexa)::[A-Za-z0-9]+::[A-Za-z0-9]+$/.test(type) && !type.startsWith('AWS::Serverless::')
    || typeof type === 'string' && type.startsWith('Custom::');
}
