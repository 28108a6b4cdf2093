#!/usr/bin/env node
/**
 * `cdk-resilience check`: the library's checks and retry budget on any
 * CloudFormation template, without a CDK app (the package's `bin`).
 *
 * Only Node.js modules are imported at the top: aws-cdk-lib and cdk-nag (peer
 * dependencies) are loaded when a check runs, so that a missing one is
 * reported as such, with exit code 2.
 */
import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { readInput, Unit } from './inputs';
import { render } from './render';
import type { RetryPath } from '../checks/retry-budget';

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
  --parameter Name=Value        the value a deployment gives a template parameter (repeat for more); a
                                parameter without one is left to deployment, and nothing rests on it
  -h, --help                    this text

Exit codes: 0 no failing finding, 1 failing findings, 2 bad usage or an input that
could not be read (the inputs that could are still checked and reported).
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
  /** The resources from which not every retry path is listed: the listing stops at `RetryBudgetReport.PATH_LIMIT` paths from one resource (`Resilience-Checks3`). */
  readonly retryPathsIncomplete: string[];
  /** The transforms the template declares. */
  readonly transforms?: string[];
  /** The logical IDs of the resources that a transform left unchecked, in whole or in part (see `Resilience-Checks2`). */
  readonly uncheckedLogicalIds?: string[];
  /** What the checks could not read (a state machine definition in S3, a nested application's template). */
  readonly notes?: string[];
}

/** An input that could not be read or checked, and why. */
export interface CliUnreadable {
  readonly input: string;
  readonly error: string;
}

interface Options {
  readonly format: Format;
  readonly retryBudgetThreshold?: number;
  readonly failOnWarnings: boolean;
  readonly inputs: string[];
  readonly parameters: Record<string, string>;
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
  let threshold: number;
  try {
    threshold = options.retryBudgetThreshold ?? loadModules().ResilienceChecks.DEFAULT_RETRY_BUDGET_THRESHOLD;
  } catch (error) {
    io.err(`cdk-resilience: ${messageOf(error)}\n`);
    return EXIT.USAGE;
  }
  // Each input on its own: one that cannot be read is reported, and the others are still checked.
  const results: CliTemplateResult[] = [];
  const unreadable: CliUnreadable[] = [];
  for (const input of options.inputs) {
    try {
      results.push(...readInput(input).map(unit => check(unit, options)));
    } catch (error) {
      unreadable.push({ input, error: messageOf(error) });
    }
  }
  const fails = (f: CliFinding) => f.level === 'error' || options.failOnWarnings;
  const failing = results.some(r => r.findings.some(fails));
  if (results.length > 0 || options.format === 'json') io.out(render(results, options.format, threshold, failing, unreadable));
  for (const { error } of unreadable) io.err(`cdk-resilience: ${error}\n`);
  return unreadable.length > 0 ? EXIT.USAGE : failing ? EXIT.FINDINGS : EXIT.OK;
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
  const parameters: Record<string, string> = {};
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
    } else if (flag === '--parameter') {
      const v = value();
      const match = /^([A-Za-z0-9]+)=(.*)$/s.exec(v);
      if (!match) throw new UsageError(`--parameter must be Name=Value (a template parameter's logical ID, letters and digits), got '${v}'`);
      parameters[match[1]] = match[2];
    } else if (flag.startsWith('-')) {
      throw new UsageError(`unknown option '${flag}'`);
    } else {
      inputs.push(flag);
    }
  }
  if (inputs.length === 0) throw new UsageError('give a cdk.out directory or one or more template files');
  return { format, retryBudgetThreshold, failOnWarnings, inputs, parameters };
}

function check(unit: Unit, options: Options): CliTemplateResult {
  const { templateStack, ResilienceChecks, ResilienceNagPack, StackAnalysis } = loadModules();
  let rebuilt: ReturnType<typeof templateStack>;
  try {
    rebuilt = templateStack(unit.template, { ...unit.options, parameters: options.parameters });
  } catch (error) {
    throw new Error(`cannot check '${unit.file}': ${messageOf(error)}`);
  }
  // One analysis of the template (model, event graph, retry paths) for the rules and the retry budget.
  const analyses = new Map();
  const checks = new ResilienceNagPack(undefined, {
    retryBudgetThreshold: options.retryBudgetThreshold ?? ResilienceChecks.DEFAULT_RETRY_BUDGET_THRESHOLD,
    failOnWarnings: options.failOnWarnings,
    analyses,
  });
  const report: PolicyValidationPluginReport = checks.validateScope(rebuilt.stack);
  const budget = StackAnalysis.of(rebuilt.stack, analyses).budget();
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
    retryPathsIncomplete: budget.incomplete,
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
    templateStack: (require('../checks/model/template-stack') as typeof import('../checks/model/template-stack')).templateStack,
    ResilienceChecks: (require('../checks/resilience-checks') as typeof import('../checks/resilience-checks')).ResilienceChecks,
    ResilienceNagPack: (require('../checks/resilience-nag-pack') as typeof import('../checks/resilience-nag-pack')).ResilienceNagPack,
    StackAnalysis: (require('../checks/model/stack-analysis') as typeof import('../checks/model/stack-analysis')).StackAnalysis,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}


if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
