import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { isFifoQueue, numberOr } from '../../private/cfn-model';
import { AWS_DEFAULTS } from '../../private/defaults';
import { QUEUE } from '../../private/event-graph';
import { ResilienceRule } from '../rule';

/** Resilience-SQS4: a standard queue's dead-letter queue keeps messages longer than the queue. */
export const SqsDeadLetterRetention: ResilienceRule = {
  id: 'SQS4',
  info: 'The dead-letter queue of this standard queue does not keep messages longer than the queue does: a message keeps its original enqueue time when it moves, so it can expire from the dead-letter queue before anyone sees it.',
  explanation: 'Set the dead-letter queue\'s retentionPeriod longer than the source queue\'s (14 days, the SQS maximum, as DeadLetterQueue does). FIFO queues reset the enqueue time and are not checked.',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const queue = model.resourceOf(node);
    if (queue?.type !== QUEUE || isFifoQueue(queue.properties)) return NagRuleCompliance.NOT_APPLICABLE;
    const dlq = model.referencedOne(queue.properties.RedrivePolicy?.deadLetterTargetArn, QUEUE);
    if (!dlq) return NagRuleCompliance.NOT_APPLICABLE;
    const retention = (props: any) => numberOr(props.MessageRetentionPeriod, AWS_DEFAULTS.queueRetentionSeconds);
    return retention(dlq.properties) > retention(queue.properties) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
