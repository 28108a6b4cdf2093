import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { CFN_TYPE } from '../model/cfn-model';
import { readDeployment, readDeploymentStrategy } from '../model/cfn-properties';
import { ResilienceRule } from '../rule';

/** Resilience-AppConfig2: an AppConfig deployment strategy is gradual. */
export const AppConfigAllAtOnce: ResilienceRule = {
  id: 'AppConfig2',
  info: 'The AppConfig deployment (or strategy) deploys all at once: a bad configuration reaches every target before any monitor can roll it back.',
  explanation: 'Use a gradual strategy (AppConfig.Linear20PercentEvery6Minutes, AppConfigProfile\'s default, or a growth factor below 100) with bake time.',
  level: NagMessageLevel.WARN,
  check(node, { model }) {
    const resource = model.resourceOf(node);
    if (resource?.type === CFN_TYPE.APPCONFIG_DEPLOYMENT_STRATEGY) {
      const allAtOnce = (readDeploymentStrategy(resource).growthFactor ?? 0) >= 100;
      return allAtOnce ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
    }
    if (resource?.type !== CFN_TYPE.APPCONFIG_DEPLOYMENT) return NagRuleCompliance.NOT_APPLICABLE;
    if (readDeployment(resource).deploymentStrategyId === 'AppConfig.AllAtOnce') return NagRuleCompliance.NON_COMPLIANT;
    // A strategy of the stack is reported on the strategy itself.
    return NagRuleCompliance.COMPLIANT;
  },
};
