import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { isFifoQueue } from '../../private/cfn-model';
import { QUEUE } from '../../private/event-graph';
import { ResilienceRule } from '../rule';

/** Resilience-SQS5: a queue and its dead-letter queue are both standard or both FIFO. */
export const SqsDeadLetterType: ResilienceRule = {
  id: 'SQS5',
  info: 'The queue and its dead-letter queue are not of the same type (one is FIFO, the other standard): SQS refuses the redrive policy when the stack deploys.',
  explanation: 'Give a FIFO queue a FIFO dead-letter queue and a standard queue a standard one (DeadLetterQueue takes fifo: true).',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const queue = model.resourceOf(node);
    if (queue?.type !== QUEUE) return NagRuleCompliance.NOT_APPLICABLE;
    const dlq = model.referencedOne(queue.properties.RedrivePolicy?.deadLetterTargetArn, QUEUE);
    if (!dlq) return NagRuleCompliance.NOT_APPLICABLE;
    return isFifoQueue(dlq.properties) === isFifoQueue(queue.properties) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
