import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { DEFAULTS } from '../../private/defaults';
import { CFN_TYPE } from '../model/cfn-model';
import { readQueue } from '../model/cfn-properties';
import { ResilienceRule, RuleContext } from '../rule';

/** Resilience-SQS6: a queue that a Lambda function consumes is received at least 5 times before it dead-letters a message. */
export const SqsMaxReceiveCount: ResilienceRule = {
  id: 'SQS6',
  info: 'The SQS queue is consumed by a Lambda function or an EventBridge pipe and its redrive policy\'s maxReceiveCount is below 5: messages that were only throttled can reach the dead-letter queue.',
  explanation: 'Set maxReceiveCount to 5 or more, as the Lambda developer guide recommends for SQS event sources.',
  level: NagMessageLevel.WARN,
  check(node, context) {
    const maxReceiveCount = consumedMaxReceiveCount(node, context);
    if (maxReceiveCount === undefined) return NagRuleCompliance.NOT_APPLICABLE;
    return maxReceiveCount >= DEFAULTS.maxReceiveCount ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
  describe(node, context) {
    return `maxReceiveCount ${consumedMaxReceiveCount(node, context)}; at least ${DEFAULTS.maxReceiveCount} recommended`;
  },
};

/** The `maxReceiveCount` of a queue that a Lambda function or a pipe consumes, if it has one. */
function consumedMaxReceiveCount(node: CfnResource, { model, graph }: RuleContext): number | undefined {
  const queue = model.resourceOf(node);
  if (queue?.type !== CFN_TYPE.QUEUE || graph.consumersOf(queue).length === 0) return undefined;
  return readQueue(queue).maxReceiveCount;
}
