import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { ResilienceRule } from '../rule';

/**
 * Resilience-Checks1: the checks could read the resource. A resource that
 * throws while the model renders it is left out of every other rule and of
 * the retry paths; this rule says so instead of passing in silence.
 */
export const ChecksUnreadableResource: ResilienceRule = {
  id: 'Checks1',
  info: 'The resilience checks could not read this resource (rendering its CloudFormation properties threw), so no other Resilience rule checked it and retry paths through it are missing.',
  explanation: 'Fix what the error says; the synth usually fails on it too. If the resource only renders later in the synth, acknowledge Resilience-Checks1 on it, knowing that the other Resilience rules do not cover it.',
  level: NagMessageLevel.WARN,
  check(node, { model }) {
    return model.renderErrorOf(node) === undefined ? NagRuleCompliance.NOT_APPLICABLE : NagRuleCompliance.NON_COMPLIANT;
  },
  describe(node, { model }) {
    return model.renderErrorOf(node);
  },
};
