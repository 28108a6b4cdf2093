import { CfnResource, Duration } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { formatDuration } from '../../private/validation';
import { streamConsumerOf } from '../model/stream-consumers';
import { ResilienceRule, RuleContext } from '../rule';

/**
 * Resilience-Stream2: a stream consumer bounds its retries or the age of
 * the records it retries (AWS's default for both is -1, unbounded).
 */
export const StreamBoundedRetries: ResilienceRule = {
  id: 'Stream2',
  info: 'The stream consumer retries a failing record without bound (MaximumRetryAttempts and MaximumRecordAgeInSeconds both -1, AWS\'s default): a poison record blocks its shard, and every record behind it, until it expires from the stream.',
  explanation: 'Bound retryAttempts or maxRecordAge (or the pipe\'s maximumRetryAttempts or maximumRecordAgeInSeconds) so that a poison record goes to the on-failure destination within minutes; StreamConsumerFunction bounds both.',
  level: NagMessageLevel.ERROR,
  check(node, context) {
    const consumer = consumerOf(node, context);
    // Bounds left to deployment (a parameter, a condition) may well be set: nothing to report.
    if (!consumer || consumer.retryAttempts === undefined || consumer.maxRecordAgeSeconds === undefined) return NagRuleCompliance.NOT_APPLICABLE;
    return consumer.retryAttempts >= 0 || consumer.maxRecordAgeSeconds >= 0 ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
  describe(node, context) {
    const consumer = consumerOf(node, context);
    if (!consumer) return undefined;
    const blocks = consumer.retentionSeconds === undefined
      ? 'until it expires (the stream\'s retention is left to deployment)'
      : `for up to ${formatDuration(Duration.seconds(consumer.retentionSeconds))} (the stream's retention)`;
    return `MaximumRetryAttempts ${consumer.retryAttempts} and MaximumRecordAgeInSeconds ${consumer.maxRecordAgeSeconds}: a poison record blocks its shard ${blocks}`;
  },
};

function consumerOf(node: CfnResource, { model }: RuleContext) {
  return streamConsumerOf(model, model.resourceOf(node));
}
