import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { numberOr } from '../../private/cfn-model';
import { AWS_DEFAULTS } from '../../private/defaults';
import { QUEUE } from '../../private/event-graph';
import { ResilienceRule } from '../rule';

/** Resilience-SQS3: an SQS event source mapping reports batch item failures. */
export const SqsPartialBatchResponses: ResilienceRule = {
  id: 'SQS3',
  info: 'The SQS event source mapping does not report batch item failures: one failed message returns the whole batch to the queue, and the messages that succeeded are processed again.',
  explanation: 'Set reportBatchItemFailures: true on the event source and return { batchItemFailures } from the handler (Powertools BatchProcessor does), or use QueueDecoupledFunction, which does. A batch size of 1 needs neither.',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const mapping = model.resourceOf(node);
    if (mapping?.type !== 'AWS::Lambda::EventSourceMapping') return NagRuleCompliance.NOT_APPLICABLE;
    const source = mapping.properties.EventSourceArn;
    const fromQueue = model.referencedBy(source, QUEUE).length > 0 || model.crossStackTypes(source).includes(QUEUE)
      || (typeof source === 'string' && source.includes(':sqs:'));
    if (!fromQueue) return NagRuleCompliance.NOT_APPLICABLE;
    const reports = ([] as unknown[]).concat(mapping.properties.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures');
    const oneAtATime = numberOr(mapping.properties.BatchSize, AWS_DEFAULTS.sqsBatchSize) === 1;
    return reports || oneAtATime ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
