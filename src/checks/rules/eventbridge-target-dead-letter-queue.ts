import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { readRule } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/**
 * Resilience-EventBridge1: every target of a rule has a dead-letter queue (as
 * cdk-nag's `EventBusDLQ`, read from the template so that it also checks
 * templates rebuilt from files, whose resources are not typed L1s).
 */
export const EventBridgeTargetDeadLetterQueue: ResilienceRule = {
  id: 'EventBridge1',
  info: 'A target of the EventBridge rule has no dead-letter queue: an event that cannot be delivered after the retries is dropped.',
  explanation: 'Give each target a deadLetterQueue (aws-events-targets take one), or add the rule with ArchivedEventBus.addRule(), which gives every target the bus\'s dead-letter queue.',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const rule = model.resourceOf(node);
    const targets = rule?.type === CFN_TYPE.RULE ? readRule(rule).targets : undefined;
    if (targets === undefined) return NagRuleCompliance.NOT_APPLICABLE;
    return targets.every(target => target.deadLetterArn !== undefined) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
