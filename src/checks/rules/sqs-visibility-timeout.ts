import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { numberOr } from '../../private/cfn-model';
import { AWS_DEFAULTS } from '../../private/defaults';
import { FUNCTION, QUEUE } from '../../private/event-graph';
import { ResilienceRule } from '../rule';

/**
 * Resilience-SQS2: the visibility timeout of a queue that a Lambda function
 * consumes is at least 6 × the function's timeout plus the batching window
 * (what cdk-nag's `LambdaEventSourceSQSVisibilityTimeout` checks, without the
 * window, by searching the stack for each mapping; this rule reads the
 * stack's model once, follows aliases and queue ARNs built from names, and
 * never mistakes a queue of another stack for one of this stack).
 */
export const SqsVisibilityTimeout: ResilienceRule = {
  id: 'SQS2',
  info: 'The SQS queue\'s visibility timeout is below 6 × the timeout of the function that consumes it (plus the batching window): a message can become visible again while its batch is still being processed, and is processed twice.',
  explanation: 'Set the queue\'s visibilityTimeout to at least 6 × the function timeout plus the maximum batching window, as AWS recommends for Lambda event sources (QueueDecoupledFunction derives it).',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const mapping = model.resourceOf(node);
    if (mapping?.type !== 'AWS::Lambda::EventSourceMapping') return NagRuleCompliance.NOT_APPLICABLE;
    const queue = model.referencedOne(mapping.properties.EventSourceArn, QUEUE);
    const fn = model.referencedOne(mapping.properties.FunctionName, FUNCTION);
    if (!queue || !fn) return NagRuleCompliance.NOT_APPLICABLE;
    const visibility = numberOr(queue.properties.VisibilityTimeout, AWS_DEFAULTS.queueVisibilityTimeoutSeconds);
    const timeout = numberOr(fn.properties.Timeout, AWS_DEFAULTS.functionTimeoutSeconds);
    const window = numberOr(mapping.properties.MaximumBatchingWindowInSeconds, 0);
    return visibility >= 6 * timeout + window ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
