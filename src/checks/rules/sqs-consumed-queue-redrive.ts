import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { readQueue } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/** Resilience-SQS1: a queue that a Lambda function or an EventBridge pipe consumes has a redrive policy. */
export const SqsConsumedQueueRedrive: ResilienceRule = {
  id: 'SQS1',
  info: 'The SQS queue is consumed by a Lambda function or an EventBridge pipe and has no redrive policy: a message that always fails is retried until its retention period ends, then lost.',
  explanation: 'Give the queue a redrive policy to a dead-letter queue (deadLetterQueue: { queue, maxReceiveCount: 5 }), or use QueueDecoupledFunction, which does.',
  level: NagMessageLevel.ERROR,
  check(node, { model, graph }) {
    const queue = model.resourceOf(node);
    if (queue?.type !== CFN_TYPE.QUEUE || graph.consumersOf(queue).length === 0) return NagRuleCompliance.NOT_APPLICABLE;
    const { redrive, deadLetterTargetArn } = readQueue(queue);
    // A redrive policy left to deployment (Fn::If, a parameter) may well be there: nothing to report.
    if (redrive === 'unknown') return NagRuleCompliance.NOT_APPLICABLE;
    return deadLetterTargetArn ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
