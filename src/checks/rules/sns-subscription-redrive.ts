import { NagMessageLevel, rules } from 'cdk-nag';
import { ResilienceRule } from '../rule';

/** Resilience-SNS1: an SNS subscription has a redrive policy (cdk-nag's `SNSRedrivePolicy`). */
export const SnsSubscriptionRedrive: ResilienceRule = {
  id: 'SNS1',
  info: 'The SNS subscription has no redrive policy: a message that SNS cannot deliver after its retries is dropped.',
  explanation: 'Give the subscription a deadLetterQueue (an SQS queue SNS may send to).',
  level: NagMessageLevel.ERROR,
  check(node) {
    return rules.sns.SNSRedrivePolicy(node);
  },
};
