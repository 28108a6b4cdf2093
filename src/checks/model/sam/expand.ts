/**
 * An AWS SAM template turned into the CloudFormation template that the SAM
 * translator makes of it, for the checks: the same resources under the same
 * logical IDs, with the properties the checks read, and for each generated
 * resource the SAM resource (and event) it comes from.
 *
 * The plain CloudFormation resources are kept as they are (an S3 event adds its
 * notification to its bucket); `Globals` are merged into each SAM resource;
 * each SAM resource is expanded by the file of its type. `!Ref Function.Alias`
 * and `!Ref Function.Version` become references to the generated alias and
 * version, as SAM resolves them. A SAM resource type or event that is not
 * expanded, or a resource whose expansion fails, is listed in `unchecked`,
 * never dropped in silence.
 * @see https://github.com/aws/serverless-application-model
 */
import { writeApis } from './apis';
import { CfnResourceBody, ExpansionContext, FileReader, isObject, SamOrigin, UncheckedPart } from './context';
import { expandFunction } from './function';
import { applyGlobals } from './globals';
import { expandApplication, expandConnectors, expandLayerVersion, expandSimpleTable } from './other-resources';
import { expandStateMachine } from './state-machine';

/** The name of the AWS SAM transform. */
export const SAM_TRANSFORM = 'AWS::Serverless-2016-10-31';

/** A SAM template expanded (see the file's comment). */
export interface SamExpansion {
  /** The template without `Transform` and `Globals`, with the generated resources. */
  readonly template: Record<string, unknown>;
  /** The SAM resource and event of each generated resource, by logical ID. */
  readonly origins: ReadonlyMap<string, SamOrigin>;
  readonly unchecked: readonly UncheckedPart[];
  /** What the checks could not read, in words. */
  readonly notes: readonly string[];
}

const EXPANDERS: Record<string, (context: ExpansionContext, logicalId: string, resource: CfnResourceBody) => void> = {
  'AWS::Serverless::Function': expandFunction,
  'AWS::Serverless::StateMachine': expandStateMachine,
  'AWS::Serverless::SimpleTable': expandSimpleTable,
  'AWS::Serverless::Application': expandApplication,
  'AWS::Serverless::LayerVersion': expandLayerVersion,
};

/** SAM types that other parts of the expansion write: APIs once their routes are known, connectors once every resource is. */
const WRITTEN_LATER = ['AWS::Serverless::Api', 'AWS::Serverless::HttpApi', 'AWS::Serverless::Connector'];

/** The template expanded as the SAM translator would; `readFile` reads a file the template names, relative to its folder. */
export function expandSam(template: Record<string, any>, readFile?: FileReader): SamExpansion {
  const declared = isObject(template.Resources) ? template.Resources as Record<string, CfnResourceBody> : {};
  const source = applyGlobals(declared, template.Globals);
  const context = new ExpansionContext(source, isObject(template.Parameters) ? template.Parameters : {}, readFile);

  for (const [logicalId, resource] of Object.entries(source)) {
    if (isObject(resource) && !String(resource.Type).startsWith('AWS::Serverless::')) context.add(logicalId, JSON.parse(JSON.stringify(resource)));
  }
  for (const [logicalId, resource] of Object.entries(source)) {
    if (!isObject(resource) || !String(resource.Type).startsWith('AWS::Serverless::') || WRITTEN_LATER.includes(resource.Type)) continue;
    const expand = EXPANDERS[resource.Type];
    if (!expand) {
      context.unexpanded(logicalId, resource.Type);
      continue;
    }
    attempt(context, logicalId, resource.Type, () => expand(context, logicalId, resource));
  }
  attempt(context, 'Connectors', 'AWS::Serverless::Connector', () => expandConnectors(context));
  attempt(context, 'Apis', 'AWS::Serverless::Api', () => writeApis(context));

  passMetadataOn(context);
  const names = new Map([...aliasesAndVersions(context), ...context.renamed]);
  const resources = resolveSamReferences(context.resources, names) as Record<string, CfnResourceBody>;
  const { Transform: _transform, Globals: _globals, ...rest } = template;
  return { template: { ...rest, Resources: resources }, origins: context.origins, unchecked: context.unchecked, notes: context.notes };
}

/** Runs one resource's expansion; if it throws, the resource is listed as not expanded, with the error. */
function attempt(context: ExpansionContext, logicalId: string, type: string, expand: () => void): void {
  try {
    expand();
  } catch (error) {
    context.unexpanded(logicalId, `${type} (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * The `Metadata` of a SAM resource on every resource generated from it, as the translator passes it on (and so
 * cdk-nag's `cdk_nag` acknowledgements on a SAM function hold for its event source mappings, rules, ...).
 */
function passMetadataOn(context: ExpansionContext): void {
  for (const [logicalId, origin] of context.origins) {
    const metadata = context.source[origin.resource]?.Metadata;
    if (isObject(metadata)) context.resources[logicalId].Metadata = metadata;
  }
}

/** `<Function>.Alias` and `<Function>.Version` to the logical IDs of the generated alias and version. */
function aliasesAndVersions(context: ExpansionContext): Map<string, string> {
  const names = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(context.resources)) {
    const origin = context.origins.get(logicalId);
    if (!origin || origin.event) continue;
    if (resource.Type === 'AWS::Lambda::Alias') names.set(`${origin.resource}.Alias`, logicalId);
    if (resource.Type === 'AWS::Lambda::Version') names.set(`${origin.resource}.Version`, logicalId);
  }
  return names;
}

function resolveSamReferences(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map(v => resolveSamReferences(v, names));
  if (!isObject(value)) return value;
  if (typeof value.Ref === 'string' && names.has(value.Ref) && Object.keys(value).length === 1) return { Ref: names.get(value.Ref) };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveSamReferences(v, names)]));
}
