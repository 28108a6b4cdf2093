import { NagMessageLevel, NagRuleCompliance, rules } from 'cdk-nag';
import { CFN_TYPE } from '../../private/cfn-model';
import { readRule } from '../../private/cfn-properties';
import { ResilienceRule } from '../rule';

/** Resilience-EventBridge1: every target of a rule has a dead-letter queue (cdk-nag's `EventBusDLQ`). */
export const EventBridgeTargetDeadLetterQueue: ResilienceRule = {
  id: 'EventBridge1',
  info: 'A target of the EventBridge rule has no dead-letter queue: an event that cannot be delivered after the retries is dropped.',
  explanation: 'Give each target a deadLetterQueue (aws-events-targets take one), or add the rule with ArchivedEventBus.addRule(), which gives every target the bus\'s dead-letter queue.',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const rule = model.resourceOf(node);
    if (rule?.type !== CFN_TYPE.RULE || readRule(rule).targets === undefined) return NagRuleCompliance.NOT_APPLICABLE;
    return rules.eventbridge.EventBusDLQ(node);
  },
};
