import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { readRule } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/** Resilience-EventBridge2: every target of a rule has an explicit retry policy. */
export const EventBridgeTargetRetryPolicy: ResilienceRule = {
  id: 'EventBridge2',
  info: 'A target of the EventBridge rule has no explicit retry policy: it gets EventBridge\'s default of 185 retries over 24 hours, whether or not that suits the target.',
  explanation: 'Set retryAttempts and maxEventAge on each target to what the target can bear (ArchivedEventBus.addRule() sets them).',
  level: NagMessageLevel.WARN,
  check(node, { model }) {
    const rule = model.resourceOf(node);
    const targets = rule?.type === CFN_TYPE.RULE ? readRule(rule).targets : undefined;
    if (!targets || targets.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
    return targets.every(target => target.hasRetryPolicy) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
