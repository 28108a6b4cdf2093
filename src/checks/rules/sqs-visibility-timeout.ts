import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { DEFAULTS } from '../../private/defaults';
import { CFN_TYPE } from '../model/cfn-model';
import { readEventSourceMapping, readFunction, readQueue } from '../model/cfn-properties';
import { ResilienceRule, RuleContext } from '../rule';

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
  check(node, context) {
    const settings = settingsOf(node, context);
    if (!settings) return NagRuleCompliance.NOT_APPLICABLE;
    return settings.visibility >= settings.minimum ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
  describe(node, context) {
    const settings = settingsOf(node, context);
    if (!settings) return undefined;
    const { visibility, timeout, window, minimum } = settings;
    return `visibility timeout ${visibility} s of ${settings.queue}; needs at least ${minimum} s = `
      + `${DEFAULTS.visibilityTimeoutFactor} × function timeout ${timeout} s + batching window ${window} s`;
  },
};

/** The settings the rule compares, for a Lambda event source mapping from a queue. */
function settingsOf(node: CfnResource, { model }: RuleContext) {
  const resource = model.resourceOf(node);
  if (resource?.type !== CFN_TYPE.EVENT_SOURCE_MAPPING) return undefined;
  const mapping = readEventSourceMapping(resource);
  const queue = model.referencedOne(mapping.eventSourceArn, CFN_TYPE.QUEUE);
  const fn = model.referencedOne(mapping.functionName, CFN_TYPE.FUNCTION);
  if (!queue || !fn) return undefined;
  const visibility = readQueue(queue).visibilityTimeoutSeconds;
  const timeout = readFunction(fn).timeoutSeconds;
  const window = mapping.maximumBatchingWindowSeconds;
  // A setting the template does not fix (a parameter, an import) is unknown: no finding rests on it.
  if (visibility === undefined || timeout === undefined || window === undefined) return undefined;
  return { queue: queue.name, visibility, timeout, window, minimum: DEFAULTS.visibilityTimeoutFactor * timeout + window };
}
