import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { readExperimentTemplate } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/** Resilience-FIS1: an FIS experiment template has a stop condition. */
export const FisExperimentStopCondition: ResilienceRule = {
  id: 'FIS1',
  info: 'The FIS experiment template has no stop condition: once started, the experiment runs for its whole duration whatever happens.',
  explanation: 'Give the template CloudWatch alarms as stop conditions that watch the steady state callers see (their errors, their latency, an SLO), '
    + 'never the faults the experiment injects; or use FisLambdaExperiment, which asks for them.',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const template = model.resourceOf(node);
    if (template?.type !== CFN_TYPE.FIS_EXPERIMENT_TEMPLATE) return NagRuleCompliance.NOT_APPLICABLE;
    const sources = readExperimentTemplate(template).stopConditionSources;
    // A source FIS may add later, or one the template computes, is a stop condition too; only `none` (or nothing) is not.
    return sources.some(source => source !== 'none') ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
