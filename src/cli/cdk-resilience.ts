#!/usr/bin/env node
/**
 * `cdk-resilience check`: the library's checks and retry budget on any
 * CloudFormation template, without a CDK app (the package's `bin`).
 *
 * Only Node.js modules are imported at the top: aws-cdk-lib and cdk-nag (peer
 * dependencies) are loaded when a check runs, so that a missing one is
 * reported as such, with exit code 2.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { render } from './render';
import type { RetryBudgetReport, RetryPath } from '../checks/retry-budget';
import type { TemplateStackOptions } from '../private/template-stack';
import { applyTransforms, TransformedTemplate } from '../private/template-transforms';

/** The exit codes. */
export const EXIT = {
  /** No finding that fails (errors; warnings too with --fail-on-warnings). */
  OK: 0,
  /** At least one finding that fails. */
  FINDINGS: 1,
  /** Bad usage, an unreadable file or directory, or a missing peer dependency. */
  USAGE: 2,
} as const;

const FORMATS = ['text', 'json', 'markdown'] as const;
/** An output format. */
export type Format = typeof FORMATS[number];

/** The rule of the finding that says what a transform left unchecked. */
export const UNCHECKED_TRANSFORM_RULE = 'Resilience-Checks2';

const USAGE = `Usage: cdk-resilience check [options] <cdk.out directory | template file...>

Runs the ResilienceChecks rules and the RetryBudget analysis on CloudFormation
templates (JSON; YAML too when aws-cdk-lib can read it) or on every stack of a
cloud assembly (cdk.out), and prints the findings and the retry paths. An AWS SAM
template (Transform: AWS::Serverless-2016-10-31) is expanded as the SAM
translator would expand it; what no transform expansion covers is reported.

Options:
  --format text|json|markdown   output format (default: text)
  --retry-budget-threshold N    worst case above which Resilience-RetryBudget1 reports a path (1-1000000, default 25)
  --fail-on-warnings            warnings fail too (exit code 1)
  -h, --help                    this text

Exit codes: 0 no failing finding, 1 failing findings, 2 bad usage or unreadable input.
`;

/** Where the command writes. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

/** One finding of the checks on one resource. */
export interface CliFinding {
  readonly rule: string;
  readonly level: 'error' | 'warning';
  readonly logicalId?: string;
  /** The construct path, when the template has `aws:cdk:path` metadata (or the cloud assembly records it). */
  readonly path?: string;
  /** For a resource of an AWS SAM template: the SAM resource it is, or that generates it. */
  readonly samResource?: string;
  /** For a resource that an event of an AWS SAM resource generates: the event's name. */
  readonly samEvent?: string;
  /** For a finding of `Resilience-Checks2`: the transform that left resources unchecked. */
  readonly transform?: string;
  /** For a finding of `Resilience-Checks2`: the logical IDs of the resources it left unchecked. */
  readonly uncheckedLogicalIds?: string[];
  readonly message: string;
}

/** What the checks found in one template. */
export interface CliTemplateResult {
  readonly file: string;
  /** The stack's construct path (for a cloud assembly), or the stack the template is rebuilt as. */
  readonly stack: string;
  readonly resources: number;
  readonly findings: CliFinding[];
  readonly retryPaths: RetryPath[];
  /** The transforms the template declares. */
  readonly transforms?: string[];
  /** The logical IDs of the resources that a transform left unchecked, in whole or in part (see `Resilience-Checks2`). */
  readonly uncheckedLogicalIds?: string[];
  /** What the checks could not read (a state machine definition in S3, a nested application's template). */
  readonly notes?: string[];
}

interface Options {
  readonly format: Format;
  readonly retryBudgetThreshold?: number;
  readonly failOnWarnings: boolean;
  readonly inputs: string[];
}

/** A template to check, and how to rebuild it. */
interface Unit {
  readonly file: string;
  readonly template: any;
  readonly options: TemplateStackOptions;
  /** The template's transforms, applied where the command can. */
  readonly transformed?: TransformedTemplate;
}

class UsageError extends Error {}

/** Runs the command with `args` (without `node` and the script) and returns its exit code. */
export function main(args: string[], io: CliOutput = { out: t => process.stdout.write(t), err: t => process.stderr.write(t) }): number {
  let options: Options;
  try {
    options = parseArgs(args);
  } catch (error) {
    if (error instanceof HelpRequested) {
      io.out(USAGE);
      return EXIT.OK;
    }
    io.err(`cdk-resilience: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  let results: CliTemplateResult[];
  let threshold: number;
  try {
    threshold = options.retryBudgetThreshold ?? loadModules().ResilienceChecks.DEFAULT_RETRY_BUDGET_THRESHOLD;
    const units = options.inputs.flatMap(readInput);
    results = units.map(unit => check(unit, options));
  } catch (error) {
    io.err(`cdk-resilience: ${messageOf(error)}\n`);
    return EXIT.USAGE;
  }
  const fails = (f: CliFinding) => f.level === 'error' || options.failOnWarnings;
  const failing = results.some(r => r.findings.some(fails));
  io.out(render(results, options.format, threshold, failing));
  return failing ? EXIT.FINDINGS : EXIT.OK;
}

class HelpRequested extends Error {}

function parseArgs(args: string[]): Options {
  if (args.includes('-h') || args.includes('--help')) throw new HelpRequested();
  const [command, ...rest] = args;
  if (command !== 'check') throw new UsageError(command ? `unknown command '${command}'` : 'no command given');
  let format: Format = 'text';
  let retryBudgetThreshold: number | undefined;
  let failOnWarnings = false;
  const inputs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i].startsWith('--') ? rest[i].split(/=(.*)/s, 2) : [rest[i], undefined];
    const value = () => {
      const v = inline ?? rest[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--format') {
      const v = value();
      if (!(FORMATS as readonly string[]).includes(v)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got '${v}'`);
      format = v as Format;
    } else if (flag === '--retry-budget-threshold') {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new UsageError(`--retry-budget-threshold must be a whole number between 1 and 1000000, got '${v}'`);
      retryBudgetThreshold = n;
    } else if (flag === '--fail-on-warnings') {
      failOnWarnings = true;
    } else if (flag.startsWith('-')) {
      throw new UsageError(`unknown option '${flag}'`);
    } else {
      inputs.push(flag);
    }
  }
  if (inputs.length === 0) throw new UsageError('give a cdk.out directory or one or more template files');
  return { format, retryBudgetThreshold, failOnWarnings, inputs };
}

/** The templates of a cloud assembly directory, or the one template of a file. */
function readInput(input: string): Unit[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(input);
  } catch {
    throw new Error(`cannot read '${input}': no such file or directory`);
  }
  if (stat.isDirectory()) return readAssembly(input);
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
function readFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read '${file}': ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : messageOf(error)}`);
  }
  let template: unknown;
  if (/\.ya?ml$/i.test(file) || !text.trimStart().startsWith('{')) {
    template = parseYaml(file, text);
  } else {
    try {
      template = JSON.parse(text);
    } catch (error) {
      throw new Error(`cannot read '${file}': not valid JSON (${messageOf(error)})`);
    }
  }
  return template;
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

/** Every stack of a cloud assembly (and of the assemblies of its stages), with the nested stacks its templates name. */
function readAssembly(dir: string): Unit[] {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) throw new Error(`cannot read '${dir}': a directory must be a cloud assembly (cdk.out) with a manifest.json`);
  let manifest: any;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read '${manifestFile}': ${messageOf(error)}`);
  }
  const units: Unit[] = [];
  for (const [id, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
    if (artifact?.type === 'cdk:cloud-assembly' && typeof artifact.properties?.directoryName === 'string') {
      units.push(...readAssembly(path.join(dir, artifact.properties.directoryName)));
      continue;
    }
    if (artifact?.type !== 'aws:cloudformation:stack' || typeof artifact.properties?.templateFile !== 'string') continue;
    const metadata = stackMetadata(dir, artifact);
    const file = path.join(dir, artifact.properties.templateFile);
    const template = readTemplateFile(file);
    const stackPath = typeof artifact.displayName === 'string' ? artifact.displayName : id;
    units.push({ file, template, options: { stackPath, ...metadata } });
    units.push(...nestedStacks(dir, template, metadata));
  }
  return units;
}

/** The construct paths and acknowledgements that a stack artifact records, inline or in its metadata file. */
function stackMetadata(dir: string, artifact: any): Pick<TemplateStackOptions, 'paths' | 'acknowledgements'> {
  const entries: Record<string, any[]> = { ...artifact.metadata ?? {} };
  if (typeof artifact.additionalMetadataFile === 'string') {
    const extra = JSON.parse(fs.readFileSync(path.join(dir, artifact.additionalMetadataFile), 'utf8'));
    for (const [key, value] of Object.entries<any[]>(extra)) entries[key] = [...entries[key] ?? [], ...value];
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

/** The nested stacks of a template whose templates are in the assembly directory (as aws-cdk-lib writes them). */
function nestedStacks(dir: string, template: any, metadata: Pick<TemplateStackOptions, 'paths' | 'acknowledgements'>): Unit[] {
  const units: Unit[] = [];
  for (const resource of Object.values<any>(template.Resources)) {
    const asset = resource?.Metadata?.['aws:asset:path'];
    const cdkPath = resource?.Metadata?.['aws:cdk:path'];
    if (resource?.Type !== 'AWS::CloudFormation::Stack' || typeof asset !== 'string' || !fs.existsSync(path.join(dir, asset))) continue;
    const file = path.join(dir, asset);
    const nested = readTemplateFile(file);
    // aws-cdk-lib names the resource `<parent>/<id>.NestedStack/<id>.NestedStackResource`; the nested stack is `<parent>/<id>`.
    const stackPath = typeof cdkPath === 'string' ? cdkPath.replace(/\.NestedStack\/[^/]*\.NestedStackResource$/, '') : undefined;
    // Logical IDs repeat across stacks: the parent's map of logical IDs to paths is not the nested stack's.
    units.push({ file, template: nested, options: { stackPath, acknowledgements: metadata.acknowledgements } });
    units.push(...nestedStacks(dir, nested, metadata));
  }
  return units;
}

function check(unit: Unit, options: Options): CliTemplateResult {
  const { templateStack, ResilienceChecks, RetryBudget } = loadModules();
  let rebuilt: ReturnType<typeof templateStack>;
  try {
    rebuilt = templateStack(unit.template, unit.options);
  } catch (error) {
    throw new Error(`cannot check '${unit.file}': ${messageOf(error)}`);
  }
  const checks = new ResilienceChecks(undefined, { retryBudgetThreshold: options.retryBudgetThreshold, failOnWarnings: options.failOnWarnings });
  const report: PolicyValidationPluginReport = checks.validateScope(rebuilt.stack);
  const budget: RetryBudgetReport = RetryBudget.analyze(rebuilt.stack);
  const origins = unit.transformed?.origins;
  const findings = report.violations.flatMap(violation => violation.violatingResources.map(resource => {
    const constructPath = resource.constructPath ?? '';
    const hasPath = !rebuilt.placedByLogicalId.has(constructPath);
    const logicalId = rebuilt.logicalIds.get(constructPath);
    const origin = logicalId === undefined ? undefined : origins?.get(logicalId);
    return {
      rule: violation.ruleName,
      level: violation.severity === 'error' || violation.severity === 'fatal' ? 'error' : 'warning',
      logicalId,
      ...hasPath ? { path: constructPath } : {},
      ...origin && { samResource: origin.resource, ...origin.event !== undefined && { samEvent: origin.event } },
      message: violation.description,
    } as CliFinding;
  }));
  for (const unchecked of unit.transformed?.unchecked ?? []) {
    findings.push({
      rule: UNCHECKED_TRANSFORM_RULE,
      level: 'warning',
      transform: unchecked.transform,
      uncheckedLogicalIds: unchecked.logicalIds,
      message: `The transform ${unchecked.transform} is not expanded for ${unchecked.parts.join('; ')}: `
        + 'no Resilience rule checked what it makes of them, and retry paths through them are missing. '
        + 'Check the processed template (aws cloudformation get-template --template-stage Processed) for these.',
    });
  }
  findings.sort((a, b) => Number(a.level !== 'error') - Number(b.level !== 'error') || a.rule.localeCompare(b.rule)
    || (a.path ?? a.logicalId ?? '').localeCompare(b.path ?? b.logicalId ?? ''));
  return {
    file: unit.file,
    stack: rebuilt.stack.node.path,
    resources: rebuilt.logicalIds.size,
    findings,
    retryPaths: budget.paths,
    ...unit.transformed && {
      transforms: unit.transformed.transforms,
      uncheckedLogicalIds: [...new Set(unit.transformed.unchecked.flatMap(u => u.logicalIds))],
      notes: [...unit.transformed.notes],
    },
  };
}

function loadModules() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  // The peer dependencies first, so that a missing one is named (the checks load cdk-nag only when they run).
  try {
    require('aws-cdk-lib');
    require('constructs');
    require('cdk-nag');
  } catch (error) {
    const missing = /Cannot find module '([^']+)'/.exec(messageOf(error))?.[1];
    throw new Error(missing
      ? `cannot load '${missing}': cdk-resilience check needs aws-cdk-lib, constructs and cdk-nag installed next to it (npm install aws-cdk-lib constructs cdk-nag)`
      : messageOf(error));
  }
  return {
    templateStack: (require('../private/template-stack') as typeof import('../private/template-stack')).templateStack,
    ResilienceChecks: (require('../checks/resilience-checks') as typeof import('../checks/resilience-checks')).ResilienceChecks,
    RetryBudget: (require('../checks/retry-budget') as typeof import('../checks/retry-budget')).RetryBudget,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
