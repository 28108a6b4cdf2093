import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { readQueue } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/** Resilience-SQS4: a standard queue's dead-letter queue keeps messages longer than the queue. */
export const SqsDeadLetterRetention: ResilienceRule = {
  id: 'SQS4',
  info: 'The dead-letter queue of this standard queue does not keep messages longer than the queue does: a message keeps its original enqueue time when it moves, so it can expire from the dead-letter queue before anyone sees it.',
  explanation: 'Set the dead-letter queue\'s retentionPeriod longer than the source queue\'s (14 days, the SQS maximum, as DeadLetterQueue does). FIFO queues reset the enqueue time and are not checked.',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const resource = model.resourceOf(node);
    if (resource?.type !== CFN_TYPE.QUEUE) return NagRuleCompliance.NOT_APPLICABLE;
    const queue = readQueue(resource);
    if (queue.fifo) return NagRuleCompliance.NOT_APPLICABLE;
    const dlq = model.referencedOne(queue.deadLetterTargetArn, CFN_TYPE.QUEUE);
    if (!dlq) return NagRuleCompliance.NOT_APPLICABLE;
    const kept = readQueue(dlq).retentionPeriodSeconds;
    // A retention the template does not fix (a parameter, say) is unknown: nothing to report.
    if (kept === undefined || queue.retentionPeriodSeconds === undefined) return NagRuleCompliance.NOT_APPLICABLE;
    return kept > queue.retentionPeriodSeconds ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
