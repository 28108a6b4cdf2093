import { Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { requireExactlyOne } from './validation';

/** How a construct gets the function it wires: one it creates, or one the user brings. */
export interface FunctionSource {
  readonly function?: lambda.IFunction;
  readonly functionProps?: lambda.FunctionProps;
}

/**
 * The function of a pattern: created from `functionProps` (as the child
 * `Function`), or the one the user brings. Either way it carries the same
 * acknowledgement of `Serverless-LambdaDLQ`, whose reason is the pattern's:
 * the pattern invokes it in a way where a function dead-letter queue would
 * keep nothing, or keeps failures elsewhere. The acknowledgement covers that
 * cdk-nag rule only: `ResilienceChecks` still reports the function if
 * something else invokes it asynchronously without a failure destination.
 */
export function functionOf(scope: Construct, owner: string, source: FunctionSource, deadLetterQueueReason: string): lambda.IFunction {
  requireExactlyOne(owner, ['function', source.function], ['functionProps', source.functionProps]);
  const fn = source.functionProps ? new lambda.Function(scope, 'Function', source.functionProps) : source.function!;
  // An imported function has no resource in this app to acknowledge.
  if (fn.node.defaultChild) {
    Validations.of(fn).acknowledge({ id: 'Serverless-LambdaDLQ', reason: deadLetterQueueReason });
  }
  return fn;
}

/**
 * The function that `attachTo()` of `owner` wires: one whose environment,
 * layers and role it can change (a `lambda.Function` of this app, such as a
 * `NodejsFunction`), or an error that names the construct, the function, the
 * variable to set by hand and what grants the rest (`instead`).
 */
export function attachableFunction(owner: IConstruct, fn: lambda.IFunction, variable: string, instead: string): lambda.Function {
  if (!(fn instanceof lambda.Function)) {
    throw new Error(`${owner.constructor.name}.attachTo needs a lambda.Function of this app (or a NodejsFunction, PythonFunction, ...) whose environment and layers it can set, `
      + `got ${fn.node.path} (${fn.constructor.name}): for an imported function, an alias or a version, set ${variable} on the function yourself and use ${instead}`);
  }
  return fn;
}

/**
 * Throws unless `fn` has a role to grant `permissions` to: a function imported
 * without its role cannot be granted anything (aws-cdk-lib refuses some of
 * those grants itself), so every construct refuses it the same way, and says
 * how to import it.
 */
export function requireRole(owner: string, fn: lambda.IFunction, permissions: string): void {
  if (fn.role) return;
  throw new Error(`function ${fn.node.path} was imported without its role, so ${owner} cannot grant it ${permissions}: `
    + 'import it with Function.fromFunctionAttributes({ functionArn, role }) (a role imported with { mutable: false } keeps its policies yours, and you grant them yourself)');
}
