import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { readSubscription } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/**
 * Resilience-SNS1: an SNS subscription has a redrive policy (as cdk-nag's
 * `SNSRedrivePolicy`, read from the template so that it also checks templates
 * rebuilt from files, whose resources are not typed L1s).
 */
export const SnsSubscriptionRedrive: ResilienceRule = {
  id: 'SNS1',
  info: 'The SNS subscription has no redrive policy: a message that SNS cannot deliver after its retries is dropped.',
  explanation: 'Give the subscription a deadLetterQueue (an SQS queue SNS may send to).',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const subscription = model.resourceOf(node);
    if (subscription?.type !== CFN_TYPE.SUBSCRIPTION) return NagRuleCompliance.NOT_APPLICABLE;
    const { redrive, deadLetterTargetArn } = readSubscription(subscription);
    // A redrive policy left to deployment (Fn::If, a parameter) may well be there: nothing to report.
    if (redrive === 'unknown') return NagRuleCompliance.NOT_APPLICABLE;
    return deadLetterTargetArn !== undefined ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
