import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { streamConsumerOf, whenDropped } from '../model/stream-consumers';
import { ResilienceRule } from '../rule';

/**
 * Resilience-Stream1: a stream consumer (a Lambda event source mapping or an
 * EventBridge pipe reading a Kinesis or DynamoDB stream) has an on-failure
 * destination.
 */
export const StreamOnFailureDestination: ResilienceRule = {
  id: 'Stream1',
  info: 'The stream consumer (a Lambda event source mapping or a pipe reading a Kinesis or DynamoDB stream) has no on-failure destination: a record that fails every retry, or expires, is skipped without a trace.',
  explanation: 'Give the event source an onFailure destination (new SqsDlq(queue), SnsDlq or S3OnFailureDestination), or the pipe\'s stream source a deadLetterConfig; StreamConsumerFunction does it with a DeadLetterQueue.',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const consumer = streamConsumerOf(model, model.resourceOf(node));
    if (!consumer) return NagRuleCompliance.NOT_APPLICABLE;
    return consumer.onFailure !== undefined ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
  describe(node, { model }) {
    const consumer = streamConsumerOf(model, model.resourceOf(node));
    return consumer && `a failing record is dropped ${whenDropped(consumer)}`;
  },
};
