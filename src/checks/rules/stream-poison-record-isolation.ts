import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { streamConsumerOf } from '../model/stream-consumers';
import { ResilienceRule, RuleContext } from '../rule';

/**
 * Resilience-Stream3: a stream consumer isolates a poison record, by
 * splitting failed batches or by partial batch responses (a batch of one
 * needs neither).
 */
export const StreamPoisonRecordIsolation: ResilienceRule = {
  id: 'Stream3',
  info: 'The stream consumer neither splits a failed batch (BisectBatchOnFunctionError, a pipe\'s AUTOMATIC_BISECT) nor reports batch item failures: one poison record fails its whole batch on every retry, and the records that succeeded are processed again, or sent to the failure destination with it.',
  explanation: 'Set bisectBatchOnError: true, or reportBatchItemFailures: true and return { batchItemFailures } with the sequence number of the first failed record (Powertools BatchProcessor does); for a pipe, onPartialBatchItemFailure AUTOMATIC_BISECT. A pipe whose Lambda or Step Functions target returns batchItemFailures does this in code the template does not show: acknowledge the finding there.',
  level: NagMessageLevel.WARN,
  check(node, context) {
    const consumer = consumerOf(node, context);
    if (!consumer) return NagRuleCompliance.NOT_APPLICABLE;
    if (consumer.bisect || consumer.partialBatchResponses) return NagRuleCompliance.COMPLIANT;
    // A batch size the template does not fix may be 1: nothing to report.
    if (consumer.batchSize === undefined) return NagRuleCompliance.NOT_APPLICABLE;
    return consumer.batchSize === 1 ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
  describe(node, context) {
    const consumer = consumerOf(node, context);
    const what = consumer?.resource.type === CFN_TYPE.PIPE ? 'pipe' : 'event source mapping';
    return consumer && `${what} with batches of up to ${consumer.batchSize} records`;
  },
};

function consumerOf(node: CfnResource, { model }: RuleContext) {
  return streamConsumerOf(model, model.resourceOf(node));
}
