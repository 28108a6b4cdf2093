import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { readQueue } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/** Resilience-SQS5: a queue and its dead-letter queue are both standard or both FIFO. */
export const SqsDeadLetterType: ResilienceRule = {
  id: 'SQS5',
  info: 'The queue and its dead-letter queue are not of the same type (one is FIFO, the other standard): SQS refuses the redrive policy when the stack deploys.',
  explanation: 'Give a FIFO queue a FIFO dead-letter queue and a standard queue a standard one (DeadLetterQueue takes fifo: true).',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const resource = model.resourceOf(node);
    if (resource?.type !== CFN_TYPE.QUEUE) return NagRuleCompliance.NOT_APPLICABLE;
    const queue = readQueue(resource);
    const dlq = model.referencedOne(queue.deadLetterTargetArn, CFN_TYPE.QUEUE);
    if (!dlq) return NagRuleCompliance.NOT_APPLICABLE;
    return readQueue(dlq).fifo === queue.fifo ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
