import { Stack } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ResilienceChecks, ResilienceChecksProps } from '../../src';
import { handlerProps } from '../helpers';

/** One resource that a rule of `ResilienceChecks` reported. */
export interface Finding {
  /** The construct path of the CfnResource reported. */
  readonly path: string;
  readonly severity: 'error' | 'warning';
}

/**
 * What `ResilienceChecks` reports under `ruleId` (e.g. `Resilience-SQS1`) for
 * the resources of `stack`: one entry per resource, with the severity.
 *
 * A rule that throws is reported by cdk-nag under its own id too; that fails
 * here, so that an exception never passes for a finding.
 */
export function reported(stack: Stack, ruleId: string, props: ResilienceChecksProps = {}): Finding[] {
  const pack = new ResilienceChecks(stack.node.root, { ...props, verbose: true });
  const violations = pack.validateScope(stack).violations.filter(v => v.ruleName === ruleId);
  const found: Finding[] = [];
  for (const violation of violations) {
    if (violation.description.startsWith('Rule threw an error')) {
      throw new Error(`${ruleId} threw instead of checking: ${violation.description}`);
    }
    for (const resource of violation.violatingResources) {
      found.push({ path: resource.constructPath ?? '', severity: violation.severity as Finding['severity'] });
    }
  }
  return found;
}

/** Every finding of `checks` on `stack`, under any rule, as `<rule id> <construct path>`. */
export function allFindings(stack: Stack, checks = new ResilienceChecks(stack.node.root)): string[] {
  return checks.validateScope(stack).violations
    .flatMap(v => v.violatingResources.map(r => `${v.ruleName} ${r.constructPath}`));
}

/** The construct paths that `ResilienceChecks` reports under `ruleId` for the resources of `stack`. */
export function findings(stack: Stack, ruleId: string, props: ResilienceChecksProps = {}): string[] {
  return reported(stack, ruleId, props).map(f => f.path);
}

/**
 * A new function `id` (30 s timeout) in the queue's stack that consumes
 * `queue` through an SQS event source (reporting batch item failures unless
 * `sourceProps` say otherwise).
 */
export function consume(queue: sqs.IQueue, id = 'Fn', sourceProps: sources.SqsEventSourceProps = { reportBatchItemFailures: true },
  functionProps: Partial<lambda.FunctionProps> = {}): lambda.Function {
  const fn = new lambda.Function(Stack.of(queue), id, { ...handlerProps, ...functionProps });
  fn.addEventSource(new sources.SqsEventSource(queue, sourceProps));
  return fn;
}

/** A new function `Fn` in `stack` that reads a new Kinesis stream (an event source that is not SQS). */
export function readStream(stack: Stack): lambda.Function {
  const fn = new lambda.Function(stack, 'Fn', handlerProps);
  fn.addEventSource(new sources.KinesisEventSource(new kinesis.Stream(stack, 'Stream'), {
    startingPosition: lambda.StartingPosition.LATEST,
  }));
  return fn;
}
