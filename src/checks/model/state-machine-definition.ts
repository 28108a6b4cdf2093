/**
 * The Task states of a Step Functions state machine, read from its template,
 * with whether each one handles transient errors.
 *
 * Reading the definition
 * - `Definition` (an object) is read as it is.
 * - `DefinitionString` is JSON, often an `Fn::Join` of literal strings and
 *   tokens (`Ref`, `Fn::GetAtt` of a function, ...). Each token becomes a
 *   placeholder string and the whole is parsed: a token inside a JSON string
 *   (a function's ARN as `Resource` or in `Parameters`) parses, and the
 *   placeholder remembers what the token referred to. A token anywhere else
 *   (a number, a key, a whole object), or any other intrinsic, leaves JSON
 *   that does not parse: the definition is unreadable and nothing is reported.
 * - `DefinitionS3Location`: the template does not hold the definition. When
 *   the app ships it as a file (`DefinitionBody.fromFile()`: an asset that
 *   aws-cdk-lib stages in the cloud assembly, as the state machine's child
 *   `DefinitionBody`), the staged JSON file is read; otherwise (a location in
 *   S3 only a deployment can read) it is unreadable and nothing is reported.
 *   The command line reads the staged file of a cloud assembly the same way.
 * - `${name}` placeholders of `DefinitionSubstitutions` stay as they are: a
 *   `Resource` that is one is not known to be a Lambda function.
 *
 * Which states count
 * Every `Task` state, also inside a `Parallel` state's `Branches` and a `Map`
 * state's `ItemProcessor` (or `Iterator`). The errors a Task handles are the
 * `ErrorEquals` of its `Catch` and of its `Retry` with `MaxAttempts` above 0
 * (3 when absent), and those of the `Parallel` and `Map` states around it
 * (whose `Retry` runs the branch again and whose `Catch` takes its error).
 * A Task is covered when they include its transient errors:
 * - `States.ALL` or `States.TaskFailed`, for any task;
 * - for a Lambda task (`arn:aws:states:::lambda:invoke`, or a function's ARN
 *   as the `Resource`), the Lambda service exceptions that Step Functions
 *   recommends retrying (`LAMBDA_TRANSIENT_ERRORS`), all of them;
 * - for any other task, any error name (which errors of an integration are
 *   transient, the template does not say).
 */
import * as fs from 'fs';
import * as nodePath from 'path';
import { Stage } from 'aws-cdk-lib';
import { CfnModel, CFN_TYPE, ModelResource } from './cfn-model';
import { readStateMachine } from './cfn-properties';

/**
 * The transient errors of the Lambda service that a Lambda task should retry.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 */
export const LAMBDA_TRANSIENT_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'];

/** Error names that match every error of a task. */
const ALL_TASK_ERRORS = ['States.ALL', 'States.TaskFailed'];

/** The resource of Step Functions' optimized Lambda integration (`arn:aws:states:::lambda:invoke`, with `.waitForTaskToken`). */
const LAMBDA_INVOKE = /^arn:[^:]*:states:::lambda:invoke(\.waitForTaskToken)?$/;

/** The definitions read by `shippedDefinition`, by state machine. */
const shippedDefinitions = new WeakMap<ModelResource, unknown>();

/**
 * The definition an app ships as a file (`DefinitionBody.fromFile()`), from
 * the asset that aws-cdk-lib staged in the cloud assembly (the state machine's
 * child `DefinitionBody`, with its `assetPath`); `undefined` when there is
 * none, it is not staged yet, or it is not JSON.
 */
function shippedDefinition(stateMachine: ModelResource): unknown {
  // Read once per state machine: the link sources and the rule both ask for its task states.
  if (!shippedDefinitions.has(stateMachine)) shippedDefinitions.set(stateMachine, readShippedDefinition(stateMachine));
  return shippedDefinitions.get(stateMachine);
}

function readShippedDefinition(stateMachine: ModelResource): unknown {
  const asset = stateMachine.construct.node.scope?.node.tryFindChild('DefinitionBody') as { assetPath?: unknown; isFile?: unknown } | undefined;
  if (typeof asset?.assetPath !== 'string' || asset.isFile !== true) return undefined;
  const outdir = Stage.of(stateMachine.construct)?.outdir;
  const file = nodePath.isAbsolute(asset.assetPath) ? asset.assetPath : outdir ? nodePath.join(outdir, asset.assetPath) : undefined;
  try {
    return file ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
  } catch {
    return undefined;
  }
}

/** A Task state of a definition. */
export interface TaskState {
  /** The state's name, with the names of the Parallel or Map states around it: `Fan out/Charge`. */
  readonly path: string;
  /** Whether the task invokes a Lambda function. */
  readonly lambda: boolean;
  /** Whether a `Retry` or a `Catch` of the task, or of a state around it, handles its transient errors. */
  readonly covered: boolean;
  /** The functions the task invokes asynchronously (`lambda:invoke` with `"InvocationType": "Event"`). */
  readonly invokedAsynchronously: readonly ModelResource[];
}

/** The Task states of `stateMachine`, or `undefined` if the template does not show its definition. */
export function taskStates(model: CfnModel, stateMachine: ModelResource): TaskState[] | undefined {
  const definition = definitionOf(model, stateMachine);
  if (!definition) return undefined;
  const tasks: TaskState[] = [];
  if (!visitStates(definition.json, [], [], definition.functions, tasks)) return undefined;
  return tasks;
}

/** The definition as JSON, with the placeholders that stand for a reference to a function. */
function definitionOf(model: CfnModel, stateMachine: ModelResource): { json: unknown; functions: Functions } | undefined {
  const { definition, definitionString, definitionInS3 } = readStateMachine(stateMachine);
  if (definitionInS3) {
    const shipped = shippedDefinition(stateMachine);
    return isObject(shipped) ? { json: shipped, functions: new Map() } : undefined;
  }
  if (definition !== undefined) return isObject(definition) ? { json: definition, functions: new Map() } : undefined;
  const functions: Functions = new Map();
  let index = 0;
  const text = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value;
    const join = isObject(value) ? value['Fn::Join'] : undefined;
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      const parts = join[1].map(text);
      return parts.every(p => p !== undefined) ? parts.join(join[0]) : undefined;
    }
    if (isObject(value) && (value.Ref !== undefined || value['Fn::GetAtt'] !== undefined)) {
      // A placeholder that no definition contains; JSON-safe inside a string.
      const placeholder = `__cfn_token_${index++}__`;
      const referenced = model.referencedBy(value, CFN_TYPE.FUNCTION);
      if (referenced.length > 0) functions.set(placeholder, referenced);
      return placeholder;
    }
    return undefined;
  };
  const source = text(definitionString);
  if (source === undefined) return undefined;
  try {
    return { json: JSON.parse(source), functions };
  } catch {
    return undefined;
  }
}

/** The placeholders of a definition string that stand for a reference to a function, with the function. */
type Functions = Map<string, ModelResource[]>;

/** Collects the Task states of `container` (a definition, a branch, an item processor); `false` if its shape is not one. */
function visitStates(container: unknown, path: string[], around: readonly string[], functions: Functions, tasks: TaskState[]): boolean {
  const states = isObject(container) ? container.States : undefined;
  if (!isObject(states)) return false;
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state)) return false;
    const errors = [...around, ...handledErrors(state)];
    if (state.Type === 'Task') {
      const lambda = isLambdaResource(state.Resource, functions);
      // JSONPath tasks pass `Parameters`; JSONata tasks, `Arguments`.
      const given = state.Arguments ?? state.Parameters;
      const parameters = isObject(given) ? given : {};
      const invokedAsynchronously = lambda && parameters.InvocationType === 'Event' && typeof parameters.FunctionName === 'string'
        ? functions.get(parameters.FunctionName) ?? [] : [];
      tasks.push({ path: [...path, name].join('/'), lambda, covered: covers(errors, lambda), invokedAsynchronously });
    } else if (state.Type === 'Parallel') {
      if (!Array.isArray(state.Branches)) return false;
      for (const branch of state.Branches) {
        if (!visitStates(branch, [...path, name], errors, functions, tasks)) return false;
      }
    } else if (state.Type === 'Map') {
      if (!visitStates(state.ItemProcessor ?? state.Iterator, [...path, name], errors, functions, tasks)) return false;
    }
  }
  return true;
}

function isLambdaResource(resource: unknown, functions: Functions): boolean {
  if (typeof resource !== 'string') return false;
  return LAMBDA_INVOKE.test(resource) || functions.has(resource) || /^arn:[^:]*:lambda:[^:]*:[^:]*:function:/.test(resource);
}

/** The error names that a state's `Catch`, and its `Retry` with attempts, handle. */
function handledErrors(state: Record<string, unknown>): string[] {
  const list = (value: unknown) => (Array.isArray(value) ? value : []).filter(isObject);
  const retriers = list(state.Retry).filter(r => maxAttempts(r) > 0);
  return [...list(state.Catch), ...retriers].flatMap(r => Array.isArray(r.ErrorEquals) ? r.ErrorEquals : [])
    .filter((e): e is string => typeof e === 'string');
}

/** Whether handled error names cover the transient errors of a task (a Lambda task, or any other). */
function covers(errors: readonly string[], lambda: boolean): boolean {
  if (ALL_TASK_ERRORS.some(e => errors.includes(e))) return true;
  return lambda ? LAMBDA_TRANSIENT_ERRORS.every(e => errors.includes(e)) : errors.length > 0;
}

/** `MaxAttempts` of a retrier, or Step Functions' default (3). */
function maxAttempts(retrier: Record<string, unknown>): number {
  return typeof retrier.MaxAttempts === 'number' ? retrier.MaxAttempts : 3;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
