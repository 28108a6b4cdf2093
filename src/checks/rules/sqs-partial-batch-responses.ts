import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { AWS_DEFAULTS } from '../../private/defaults';
import { CFN_TYPE } from '../model/cfn-model';
import { readEventSourceMapping } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/** Resilience-SQS3: an SQS event source mapping reports batch item failures. */
export const SqsPartialBatchResponses: ResilienceRule = {
  id: 'SQS3',
  info: 'The SQS event source mapping does not report batch item failures: one failed message returns the whole batch to the queue, and the messages that succeeded are processed again.',
  explanation: 'Set reportBatchItemFailures: true on the event source and return { batchItemFailures } from the handler (Powertools BatchProcessor does), or use QueueDecoupledFunction, which does. A batch size of 1 needs neither.',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const resource = model.resourceOf(node);
    if (resource?.type !== CFN_TYPE.EVENT_SOURCE_MAPPING) return NagRuleCompliance.NOT_APPLICABLE;
    const mapping = readEventSourceMapping(resource, AWS_DEFAULTS.sqsBatchSize);
    const source = mapping.eventSourceArn;
    const fromQueue = model.referencedBy(source, CFN_TYPE.QUEUE).length > 0 || model.crossStackTypes(source).includes(CFN_TYPE.QUEUE)
      || (typeof source === 'string' && source.includes(':sqs:'));
    if (!fromQueue) return NagRuleCompliance.NOT_APPLICABLE;
    const reports = mapping.functionResponseTypes.includes('ReportBatchItemFailures');
    if (reports) return NagRuleCompliance.COMPLIANT;
    // A batch size the template does not fix may be 1: nothing to report.
    if (mapping.batchSize === undefined) return NagRuleCompliance.NOT_APPLICABLE;
    return mapping.batchSize === 1 ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
