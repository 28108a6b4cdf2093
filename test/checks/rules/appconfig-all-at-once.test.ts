import { Duration, Stack } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import { IConstruct } from 'constructs';
import { newStack } from '../../helpers';
import { findings, reported } from '../nag';

const RULE = 'Resilience-AppConfig2';

/** A hosted configuration `Config` that deploys to a new environment with `strategy`. */
function deployedConfiguration(stack: Stack, strategy: appconfig.IDeploymentStrategy): appconfig.HostedConfiguration {
  const application = new appconfig.Application(stack, 'App');
  return new appconfig.HostedConfiguration(stack, 'Config', {
    application,
    content: appconfig.ConfigurationContent.fromInlineJson('{}'),
    deploymentStrategy: strategy,
    deployTo: [new appconfig.Environment(stack, 'Env', { application })],
  });
}

/** The path of the one AWS::AppConfig::Deployment under `scope`. */
function deploymentPath(scope: IConstruct): string {
  const deployments = scope.node.findAll().filter(c => c instanceof appconfig.CfnDeployment);
  expect(deployments).toHaveLength(1);
  return deployments[0].node.path;
}

describe('Resilience-AppConfig2: AppConfig deploys gradually', () => {
  test('a deployment strategy with a growth factor of 100 is a warning on the strategy; a linear 20 % fixes it', () => {
    // GIVEN
    const stack = newStack();
    new appconfig.DeploymentStrategy(stack, 'Strategy', { rolloutStrategy: appconfig.RolloutStrategy.ALL_AT_ONCE });

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Strategy/Resource', severity: 'warning' }]);

    // GIVEN a gradual strategy
    const fixed = newStack();
    new appconfig.DeploymentStrategy(fixed, 'Strategy', { rolloutStrategy: appconfig.RolloutStrategy.LINEAR_20_PERCENT_EVERY_6_MINUTES });

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('a growth factor of 100 deploys all at once whatever the duration and growth type', () => {
    // GIVEN an exponential strategy over 10 minutes whose first step is 100 %
    const stack = newStack();
    new appconfig.DeploymentStrategy(stack, 'Strategy', {
      rolloutStrategy: appconfig.RolloutStrategy.exponential({ growthFactor: 100, deploymentDuration: Duration.minutes(10) }),
    });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Strategy/Resource']);
  });

  test('a deployment with the predefined AppConfig.AllAtOnce is a warning on the deployment; a predefined gradual strategy fixes it', () => {
    // GIVEN
    const stack = newStack();
    const config = deployedConfiguration(stack,
      appconfig.DeploymentStrategy.fromDeploymentStrategyId(stack, 'S', appconfig.DeploymentStrategyId.ALL_AT_ONCE));

    // WHEN / THEN
    const deployment = deploymentPath(config);
    expect(deployment).toMatch(/^Test\/Config\/Deployment/);
    expect(reported(stack, RULE)).toEqual([{ path: deployment, severity: 'warning' }]);

    // GIVEN the same with AppConfig.Linear50PercentEvery30Seconds
    const fixed = newStack();
    deployedConfiguration(fixed,
      appconfig.DeploymentStrategy.fromDeploymentStrategyId(fixed, 'S', appconfig.DeploymentStrategyId.LINEAR_50_PERCENT_EVERY_30_SECONDS));

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('a deployment with an all-at-once strategy of the stack is reported once, on the strategy', () => {
    // GIVEN
    const stack = newStack();
    deployedConfiguration(stack, new appconfig.DeploymentStrategy(stack, 'Strategy', { rolloutStrategy: appconfig.RolloutStrategy.ALL_AT_ONCE }));

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Strategy/Resource']);
  });

  test('a deployment with a gradual strategy of the stack complies', () => {
    // GIVEN
    const stack = newStack();
    deployedConfiguration(stack, new appconfig.DeploymentStrategy(stack, 'Strategy', {
      rolloutStrategy: appconfig.RolloutStrategy.linear({ growthFactor: 20, deploymentDuration: Duration.minutes(30) }),
    }));

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});
