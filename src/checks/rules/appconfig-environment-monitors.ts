import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { readAppConfigEnvironment } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/** Resilience-AppConfig1: an AppConfig environment has rollback monitors. */
export const AppConfigEnvironmentMonitors: ResilienceRule = {
  id: 'AppConfig1',
  info: 'The AppConfig environment has no monitors: nothing rolls back a deployment of a bad configuration.',
  explanation: 'Give the environment CloudWatch alarms as monitors (the errors of the functions that read it at least), or use AppConfigProfile, whose attachTo() adds the function\'s error alarm.',
  level: NagMessageLevel.ERROR,
  check(node, { model }) {
    const environment = model.resourceOf(node);
    if (environment?.type !== CFN_TYPE.APPCONFIG_ENVIRONMENT) return NagRuleCompliance.NOT_APPLICABLE;
    return readAppConfigEnvironment(environment).monitors.length > 0 ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
