import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import { numberOr } from '../../private/cfn-model';
import { ResilienceRule } from '../rule';

const STRATEGY = 'AWS::AppConfig::DeploymentStrategy';

/** Resilience-AppConfig2: an AppConfig deployment strategy is gradual. */
export const AppConfigAllAtOnce: ResilienceRule = {
  id: 'AppConfig2',
  info: 'The AppConfig deployment (or strategy) deploys all at once: a bad configuration reaches every target before any monitor can roll it back.',
  explanation: 'Use a gradual strategy (AppConfig.Linear20PercentEvery6Minutes, AppConfigProfile\'s default, or a growth factor below 100) with bake time.',
  level: NagMessageLevel.WARN,
  check(node, { model }) {
    const resource = model.resourceOf(node);
    if (resource?.type === STRATEGY) {
      return isAllAtOnce(resource.properties) ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
    }
    if (resource?.type !== 'AWS::AppConfig::Deployment') return NagRuleCompliance.NOT_APPLICABLE;
    const strategyId = resource.properties.DeploymentStrategyId;
    if (strategyId === 'AppConfig.AllAtOnce') return NagRuleCompliance.NON_COMPLIANT;
    // A strategy of the stack is reported on the strategy itself.
    return NagRuleCompliance.COMPLIANT;
  },
};

function isAllAtOnce(properties: any): boolean {
  return numberOr(properties.GrowthFactor, 0) >= 100;
}
