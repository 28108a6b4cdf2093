/**
 * What `cdk-resilience check` reads: template files (JSON, or YAML with
 * CloudFormation's short forms) and cloud assemblies (`cdk.out`: every stack,
 * the assemblies of its stages and the nested stacks its templates name).
 *
 * Nothing is skipped in silence. A file that cannot be read, a nested stack
 * whose template is missing, a nested stack that includes itself, a symbolic
 * link loop and a bad metadata file each stop that input with an error that
 * names the file and says what is wrong (the command reports the other
 * inputs, then exits 2). JSON with a UTF-8 byte order mark is read; JSON with
 * a key twice in one object is refused, as YAML refuses it (JSON.parse would
 * keep the last one without a word).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { TemplateStackOptions } from '../checks/model/template-stack';
import { applyTransforms, TransformedTemplate } from '../checks/model/template-transforms';

/** A template to check, and how to rebuild it. */
export interface Unit {
  readonly file: string;
  readonly template: any;
  readonly options: TemplateStackOptions;
  /** The template's transforms, applied where the command can. */
  readonly transformed?: TransformedTemplate;
}

/** The templates of a cloud assembly directory, or the one template of a file. */
export function readInput(input: string): Unit[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(input);
  } catch (error) {
    throw new Error(`cannot read '${input}': ${describeFsError(error)}`);
  }
  if (stat.isDirectory()) return readAssembly(input, new Set());
  const written = readTemplateFile(input);
  // A file that the template names (a state machine's DefinitionUri) is read next to the template.
  const transformed = written.Transform === undefined
    ? undefined
    : applyTransforms(written, relative => readFile(path.join(path.dirname(input), relative)));
  const template = transformed?.template ?? written;
  const hasPaths = Object.values<any>(isObject(template) && isObject(template.Resources) ? template.Resources : {})
    .some(r => typeof r?.Metadata?.['aws:cdk:path'] === 'string');
  // A template without construct paths is rebuilt as a stack named after its file.
  const stackPath = hasPaths ? undefined : path.basename(input).replace(/\.(template\.)?(json|ya?ml|template)$/i, '') || 'Template';
  return [{ file: input, template, options: { stackPath }, transformed }];
}

function readTemplateFile(file: string): Record<string, any> {
  const template = readFile(file);
  if (!isObject(template) || !isObject(template.Resources)) throw new Error(`cannot read '${file}': not a CloudFormation template (no Resources)`);
  return template;
}

/** A JSON or YAML file, parsed. */
export function readFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read '${file}': ${describeFsError(error)}`);
  }
  // A UTF-8 byte order mark (some editors on Windows write one) is no part of the text.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (/\.ya?ml$/i.test(file) || !text.trimStart().startsWith('{')) return parseYaml(file, text);
  return parseJson(file, text);
}

/** JSON, refused when an object has a key twice (the template would mean one of them, and no one can tell which). */
function parseJson(file: string, text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`cannot read '${file}': not valid JSON (${messageOf(error)})`);
  }
  const duplicate = duplicateKey(text);
  if (duplicate) {
    throw new Error(`cannot read '${file}': not a valid template: the key ${JSON.stringify(duplicate.key)} appears twice in one object`
      + ` (line ${duplicate.line}, at ${duplicate.path || 'the top level'}); CloudFormation would keep one of them`);
  }
  return value;
}

/**
 * The first key that an object of valid JSON `text` holds twice, with its line and the path of the object;
 * `undefined` when there is none. Scans the text once.
 */
function duplicateKey(text: string): { key: string; line: number; path: string } | undefined {
  // One frame per open object (its keys, whether the next string is a key, the key being read) or array (undefined).
  const frames: Array<{ keys: Set<string>; expectKey: boolean; key?: string } | undefined> = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
    } else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const frame = frames[frames.length - 1];
      if (frame?.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (frame.keys.has(key)) {
          return { key, line, path: frames.slice(0, -1).map(f => f?.key).filter(k => k !== undefined).join('.') };
        }
        frame.keys.add(key);
        frame.key = key;
        frame.expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      frames.push({ keys: new Set(), expectKey: true });
    } else if (c === '[') {
      frames.push(undefined);
    } else if (c === '}' || c === ']') {
      frames.pop();
    } else if (c === ',') {
      const frame = frames[frames.length - 1];
      if (frame) frame.expectKey = true;
    }
  }
  return undefined;
}

/**
 * YAML with CloudFormation's short forms (`!Ref`, `!GetAtt`, `!Sub`), read by
 * the YAML reader that aws-cdk-lib bundles for `cloudformation-include`. It is
 * not a public module of aws-cdk-lib: if a version moves it, YAML is refused
 * with a message, and JSON still works.
 */
function parseYaml(file: string, text: string): unknown {
  let reader: { deserialize(text: string): unknown };
  try {
    const root = path.dirname(require.resolve('aws-cdk-lib/package.json'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    reader = require(path.join(root, 'cloudformation-include', 'lib', 'private', 'yaml-cfn'));
  } catch {
    throw new Error(`cannot read '${file}': YAML needs the YAML reader of aws-cdk-lib, which this aws-cdk-lib does not have; convert the template to JSON`);
  }
  try {
    return reader.deserialize(text);
  } catch (error) {
    throw new Error(`cannot read '${file}': not valid YAML (${messageOf(error).split('\n')[0]})`);
  }
}

/**
 * Every stack of a cloud assembly (and of the assemblies of its stages), with the nested stacks its templates
 * name. `seen` holds the real paths of the assemblies and templates being read, to refuse one that includes itself.
 */
function readAssembly(dir: string, seen: Set<string>): Unit[] {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) throw new Error(`cannot read '${dir}': a directory must be a cloud assembly (cdk.out) with a manifest.json`);
  const real = fs.realpathSync(dir);
  if (seen.has(real)) throw new Error(`cannot read '${dir}': the cloud assembly includes itself (a stage's directory leads back to it)`);
  let manifest: any;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read '${manifestFile}': ${messageOf(error)}`);
  }
  const inside = new Set([...seen, real]);
  const units: Unit[] = [];
  for (const [id, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
    if (artifact?.type === 'cdk:cloud-assembly' && typeof artifact.properties?.directoryName === 'string') {
      units.push(...readAssembly(path.join(dir, artifact.properties.directoryName), inside));
      continue;
    }
    if (artifact?.type !== 'aws:cloudformation:stack' || typeof artifact.properties?.templateFile !== 'string') continue;
    const metadata = stackMetadata(dir, artifact);
    const file = path.join(dir, artifact.properties.templateFile);
    const template = withShippedDefinitions(dir, readTemplateFile(file));
    const stackPath = typeof artifact.displayName === 'string' ? artifact.displayName : id;
    units.push({ file, template, options: { stackPath, ...metadata } });
    units.push(...nestedStacks(dir, file, template, metadata, new Set([fs.realpathSync(file)])));
  }
  return units;
}

/**
 * The template with the definitions that state machines load from S3 read from the cloud assembly instead, where
 * aws-cdk-lib staged them (`DefinitionBody.fromFile()`: the file asset `asset.<key>` of the location's key). A
 * location whose file is not in the assembly stays as it is (the checks read nothing of it).
 */
function withShippedDefinitions(dir: string, template: Record<string, any>): Record<string, any> {
  for (const resource of Object.values<any>(template.Resources)) {
    const key = resource?.Properties?.DefinitionS3Location?.Key;
    if (resource?.Type !== 'AWS::StepFunctions::StateMachine' || typeof key !== 'string' || !/^[0-9a-f]{64}\.json$/.test(key)) continue;
    const staged = path.join(dir, `asset.${key}`);
    if (!fs.existsSync(staged)) continue;
    const definition = readFile(staged);
    if (!isObject(definition)) continue;
    const { DefinitionS3Location: _location, ...properties } = resource.Properties;
    resource.Properties = { ...properties, Definition: definition };
  }
  return template;
}

/** The construct paths and acknowledgements that a stack artifact records, inline or in its metadata file. */
function stackMetadata(dir: string, artifact: any): Pick<TemplateStackOptions, 'paths' | 'acknowledgements'> {
  const entries: Record<string, any[]> = { ...artifact.metadata ?? {} };
  if (typeof artifact.additionalMetadataFile === 'string') {
    const file = path.join(dir, artifact.additionalMetadataFile);
    let extra: unknown;
    try {
      extra = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`cannot read the metadata file '${file}' of stack ${artifact.displayName ?? ''}: ${describeFsError(error)}`);
    }
    if (!isObject(extra)) throw new Error(`cannot read the metadata file '${file}': not an object of construct paths`);
    for (const [key, value] of Object.entries<any>(extra)) entries[key] = [...entries[key] ?? [], ...Array.isArray(value) ? value : []];
  }
  const paths = new Map<string, string>();
  const acknowledgements: Array<{ path: string; rules: Record<string, string> }> = [];
  for (const [constructPath, list] of Object.entries(entries)) {
    const trimmed = constructPath.replace(/^\//, '');
    for (const entry of Array.isArray(list) ? list : []) {
      if (entry?.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') paths.set(entry.data, trimmed);
      if (entry?.type === 'aws:cdk:acknowledged-rules' && isObject(entry.data)) acknowledgements.push({ path: trimmed, rules: entry.data as Record<string, string> });
    }
  }
  return { paths, acknowledgements };
}

/**
 * The nested stacks of `template` (read from `file`) whose templates aws-cdk-lib wrote into the assembly
 * directory (`aws:asset:path`). A nested stack whose template is missing, or that includes a template it is part
 * of (`including`: the real paths of the templates above it), is an error.
 */
function nestedStacks(dir: string, file: string, template: any, metadata: Pick<TemplateStackOptions, 'paths' | 'acknowledgements'>,
  including: ReadonlySet<string>): Unit[] {
  const units: Unit[] = [];
  for (const [logicalId, resource] of Object.entries<any>(template.Resources)) {
    const asset = resource?.Metadata?.['aws:asset:path'];
    const cdkPath = resource?.Metadata?.['aws:cdk:path'];
    if (resource?.Type !== 'AWS::CloudFormation::Stack' || typeof asset !== 'string') continue;
    const nestedFile = path.join(dir, asset);
    if (!fs.existsSync(nestedFile)) {
      throw new Error(`cannot read the nested stack ${logicalId} of '${file}': its template '${nestedFile}' is not in the cloud assembly `
        + '(synthesize the app again, and keep every file of cdk.out)');
    }
    const real = fs.realpathSync(nestedFile);
    if (including.has(real)) throw new Error(`cannot read the nested stack ${logicalId} of '${file}': its template '${nestedFile}' includes itself`);
    const nested = withShippedDefinitions(dir, readTemplateFile(nestedFile));
    // aws-cdk-lib names the resource `<parent>/<id>.NestedStack/<id>.NestedStackResource`; the nested stack is `<parent>/<id>`.
    const stackPath = typeof cdkPath === 'string' ? cdkPath.replace(/\.NestedStack\/[^/]*\.NestedStackResource$/, '') : undefined;
    // Logical IDs repeat across stacks: the parent's map of logical IDs to paths is not the nested stack's.
    units.push({ file: nestedFile, template: nested, options: { stackPath, acknowledgements: metadata.acknowledgements } });
    units.push(...nestedStacks(dir, nestedFile, nested, metadata, new Set([...including, real])));
  }
  return units;
}

/** What a file system error means for a user. */
function describeFsError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException)?.code) {
    case 'ENOENT': return 'no such file or directory';
    case 'ELOOP': return 'a symbolic link that leads back to itself (a symbolic link loop)';
    case 'EACCES': return 'permission denied';
    case 'EISDIR': return 'a directory, not a file';
    default: return messageOf(error);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
