import { Annotations as CoreAnnotations, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AppConfigAttachOptions, AppConfigProfile, AppConfigProfileProps } from '../src';
import {
  actionsOn, handlerProps, logicalIdOf, maskAssetHashes, newApp, newStack, onlyLogicalId, onlyProperties, profileReadArn, propertiesOf,
  regionalStack, statementsOf,
} from './helpers';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const X86_LAYER = 'arn:aws:lambda:eu-west-1:434848589818:layer:AWS-AppConfig-Extension:303';
const ARM64_LAYER = 'arn:aws:lambda:eu-west-1:434848589818:layer:AWS-AppConfig-Extension-Arm64:241';
const CUSTOM_LAYER = 'arn:aws:lambda:xx-nowhere-1:123456789012:layer:AWS-AppConfig-Extension:7';
const CONTENT = '{"greeting":"hello","retries":3}';
const SCHEMA = JSON.stringify({
  type: 'object',
  properties: { greeting: { type: 'string' }, retries: { type: 'number' } },
  required: ['greeting'],
});
const READ_ACTIONS = ['appconfig:GetLatestConfiguration', 'appconfig:StartConfigurationSession'];
const ALL_AT_ONCE_WARNING = 'Resilience-AllAtOnceWithoutMonitors';

/** An AppConfigProfile with JSON content and the given props. */
function profile(scope: Stack, props: Partial<AppConfigProfileProps> = {}, id = 'Config'): AppConfigProfile {
  return new AppConfigProfile(scope, id, { content: appconfig.ConfigurationContent.fromInlineJson(CONTENT), ...props });
}

/** A function with the small handler of the tests. */
function newFunction(scope: Stack, id = 'Fn', props: Partial<lambda.FunctionProps> = {}): lambda.Function {
  return new lambda.Function(scope, id, { ...handlerProps, ...props });
}

/** Attaches `fn` to `p` and returns the alarm that attaching added to its monitors. */
function attachedAlarm(p: AppConfigProfile, fn: lambda.IFunction, options?: AppConfigAttachOptions): cloudwatch.Alarm {
  p.attachTo(fn, options);
  return p.monitors[p.monitors.length - 1] as cloudwatch.Alarm;
}

/** The Monitors of `p`'s environment. */
function monitorsOf(stack: Stack, p: AppConfigProfile): any {
  return propertiesOf(stack, p.environment).Monitors;
}

describe('AppConfigProfile', () => {
  test('defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const p = profile(stack);

    // THEN
    const template = Template.fromStack(stack);
    const applicationId = logicalIdOf(p.application);
    const environmentId = logicalIdOf(p.environment);
    const profileId = logicalIdOf(p.configuration.node.findChild('ConfigurationProfile'));

    // an application with a deterministic name: stack name, path, hash
    expect(p.applicationName).toMatch(/^Test-Config-[0-9a-f]{8}$/);
    expect(propertiesOf(stack, p.application)).toEqual({ Name: p.applicationName });

    // an environment 'default', without monitors
    expect(p.environmentName).toBe('default');
    expect(propertiesOf(stack, p.environment)).toEqual({ ApplicationId: { Ref: applicationId }, Name: 'default' });

    // a hosted profile 'configuration', free-form: no Type, which AppConfig reads as AWS.Freeform, and no validator
    expect(p.profileName).toBe('configuration');
    expect(onlyProperties(template, 'AWS::AppConfig::ConfigurationProfile')).toEqual({
      ApplicationId: { Ref: applicationId },
      LocationUri: 'hosted',
      Name: 'configuration',
    });

    // the content, as JSON
    expect(onlyProperties(template, 'AWS::AppConfig::HostedConfigurationVersion')).toEqual({
      ApplicationId: { Ref: applicationId },
      ConfigurationProfileId: { Ref: profileId },
      Content: CONTENT,
      ContentType: 'application/json',
    });

    // deployed to the environment with AppConfig's predefined linear strategy: no strategy resource
    expect(p.deploymentStrategy.deploymentStrategyId).toBe('AppConfig.Linear20PercentEvery6Minutes');
    expect(onlyProperties(template, 'AWS::AppConfig::Deployment')).toEqual({
      ApplicationId: { Ref: applicationId },
      ConfigurationProfileId: { Ref: profileId },
      ConfigurationVersion: { Ref: onlyLogicalId(template, 'AWS::AppConfig::HostedConfigurationVersion') },
      DeploymentStrategyId: 'AppConfig.Linear20PercentEvery6Minutes',
      EnvironmentId: { Ref: environmentId },
    });

    // the extension route, by names
    expect(p.configurationPath).toBe(`/applications/${p.applicationName}/environments/default/configurations/configuration`);

    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
  });

  test('resource counts with defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    profile(stack);

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::AppConfig::Application', 1);
    template.resourceCountIs('AWS::AppConfig::Environment', 1);
    template.resourceCountIs('AWS::AppConfig::ConfigurationProfile', 1);
    template.resourceCountIs('AWS::AppConfig::HostedConfigurationVersion', 1);
    template.resourceCountIs('AWS::AppConfig::Deployment', 1);
    template.resourceCountIs('AWS::AppConfig::DeploymentStrategy', 0);
    template.resourceCountIs('AWS::IAM::Role', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(Object.keys(template.toJSON().Resources)).toHaveLength(5);
  });

  test('the application name is deterministic, and differs per stack and per path', () => {
    // GIVEN
    const first = newStack('Orders');
    const again = newStack('Orders');
    const otherStack = newStack('Payments');

    // WHEN
    const a = profile(first);
    const b = profile(again);
    const c = profile(otherStack);
    const d = profile(first, {}, 'Other');

    // THEN
    expect(a.applicationName).toMatch(/^Orders-Config-[0-9a-f]{8}$/);
    expect(b.applicationName).toBe(a.applicationName);
    expect(c.applicationName).toMatch(/^Payments-Config-[0-9a-f]{8}$/);
    expect(d.applicationName).toMatch(/^Orders-Other-[0-9a-f]{8}$/);
    expect(new Set([a.applicationName, c.applicationName, d.applicationName]).size).toBe(3);
  });

  test('schema: a JSON_SCHEMA validator on the profile', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    profile(stack, { schema: SCHEMA });

    // THEN
    expect(onlyProperties(Template.fromStack(stack), 'AWS::AppConfig::ConfigurationProfile').Validators)
      .toEqual([{ Type: 'JSON_SCHEMA', Content: SCHEMA }]);
  });

  test('applicationName, environmentName, profileName', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const p = profile(stack, { applicationName: 'orders', environmentName: 'prod', profileName: 'limits' });

    // THEN
    expect(p.applicationName).toBe('orders');
    expect(p.environmentName).toBe('prod');
    expect(p.profileName).toBe('limits');
    expect(p.configurationPath).toBe('/applications/orders/environments/prod/configurations/limits');
    const template = Template.fromStack(stack);
    expect(propertiesOf(stack, p.application)).toEqual({ Name: 'orders' });
    expect(propertiesOf(stack, p.environment).Name).toBe('prod');
    expect(onlyProperties(template, 'AWS::AppConfig::ConfigurationProfile').Name).toBe('limits');
  });

  test('type FEATURE_FLAGS', () => {
    // GIVEN
    const stack = newStack();
    const flags = JSON.stringify({ version: '1', flags: { beta: { name: 'beta' } }, values: { beta: { enabled: false } } });

    // WHEN
    profile(stack, { type: appconfig.ConfigurationType.FEATURE_FLAGS, content: appconfig.ConfigurationContent.fromInlineJson(flags) });

    // THEN
    const template = Template.fromStack(stack);
    expect(onlyProperties(template, 'AWS::AppConfig::ConfigurationProfile').Type).toBe('AWS.AppConfig.FeatureFlags');
    expect(onlyProperties(template, 'AWS::AppConfig::HostedConfigurationVersion').Content).toBe(flags);
  });

  test('type FREEFORM, given explicitly', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    profile(stack, { type: appconfig.ConfigurationType.FREEFORM });

    // THEN
    expect(onlyProperties(Template.fromStack(stack), 'AWS::AppConfig::ConfigurationProfile').Type).toBe('AWS.Freeform');
  });

  test('deploymentStrategy: a custom strategy is deployed with', () => {
    // GIVEN
    const stack = newStack();
    const strategy = new appconfig.DeploymentStrategy(stack, 'Strategy', {
      rolloutStrategy: appconfig.RolloutStrategy.linear({ growthFactor: 10, deploymentDuration: Duration.minutes(20) }),
    });

    // WHEN
    const p = profile(stack, { deploymentStrategy: strategy });

    // THEN
    expect(p.deploymentStrategy).toBe(strategy);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::AppConfig::DeploymentStrategy', 1);
    expect(onlyProperties(template, 'AWS::AppConfig::Deployment').DeploymentStrategyId).toEqual({ Ref: logicalIdOf(strategy) });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('deploymentStrategy: a predefined strategy by id', () => {
    // GIVEN
    const stack = newStack();
    const strategy = appconfig.DeploymentStrategy.fromDeploymentStrategyId(stack, 'Canary', appconfig.DeploymentStrategyId.CANARY_10_PERCENT_20_MINUTES);

    // WHEN
    profile(stack, { deploymentStrategy: strategy });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::AppConfig::DeploymentStrategy', 0);
    expect(onlyProperties(template, 'AWS::AppConfig::Deployment').DeploymentStrategyId).toBe('AppConfig.Canary10Percent20Minutes');
  });

  test('monitors: Environment Monitors with a role that AppConfig assumes to read the alarms', () => {
    // GIVEN
    const stack = newStack();
    const alarm = new cloudwatch.Alarm(stack, 'Steady', {
      metric: new cloudwatch.Metric({ namespace: 'Orders', metricName: 'Failed' }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    const imported = cloudwatch.Alarm.fromAlarmArn(stack, 'Imported', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders');

    // WHEN
    const p = profile(stack, { monitors: [alarm, imported] });

    // THEN
    const template = Template.fromStack(stack);
    const roleId = onlyLogicalId(template, 'AWS::IAM::Role');
    const roleArn = { 'Fn::GetAtt': [roleId, 'Arn'] };
    expect(monitorsOf(stack, p)).toEqual([
      { AlarmArn: { 'Fn::GetAtt': [logicalIdOf(alarm), 'Arn'] }, AlarmRoleArn: roleArn },
      { AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders', AlarmRoleArn: roleArn },
    ]);
    // the role: assumed by AppConfig, allowed cloudwatch:DescribeAlarms (no resource-level permissions), nothing else
    expect(template.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument).toEqual({
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'appconfig.amazonaws.com' } }],
      Version: '2012-10-17',
    });
    const policy = onlyProperties(template, 'AWS::IAM::Policy');
    expect(policy.Roles).toEqual([{ Ref: roleId }]);
    expect(policy.PolicyDocument.Statement).toEqual([{ Action: 'cloudwatch:DescribeAlarms', Effect: 'Allow', Resource: '*' }]);
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('addMonitor() after construction joins the Monitors, with one role for all', () => {
    // GIVEN
    const stack = newStack();
    const p = profile(stack);

    // WHEN
    p.addMonitor(cloudwatch.Alarm.fromAlarmArn(stack, 'A', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:a'));
    p.addMonitor(cloudwatch.Alarm.fromAlarmArn(stack, 'B', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:b'));

    // THEN
    const template = Template.fromStack(stack);
    const roleArn = { 'Fn::GetAtt': [onlyLogicalId(template, 'AWS::IAM::Role'), 'Arn'] };
    expect(monitorsOf(stack, p)).toEqual([
      { AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:a', AlarmRoleArn: roleArn },
      { AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:b', AlarmRoleArn: roleArn },
    ]);
  });

  describe('attachTo', () => {
    test('the extension layer, the configuration path, read of this profile only, the error alarm as a monitor', () => {
      // GIVEN
      const stack = regionalStack('S');
      const p = profile(stack);
      const fn = newFunction(stack);

      // WHEN
      const alarm = attachedAlarm(p, fn);

      // THEN
      const template = Template.fromStack(stack);
      const fnProps = propertiesOf(stack, fn);
      // exactly one layer: AWS's AppConfig extension for eu-west-1, x86_64
      expect(fnProps.Layers).toEqual([X86_LAYER]);
      // the path, by names
      expect(fnProps.Environment.Variables).toEqual({
        APPCONFIG_CONFIGURATION_PATH: `/applications/${p.applicationName}/environments/default/configurations/configuration`,
      });
      // exactly StartConfigurationSession and GetLatestConfiguration, on this profile in any environment
      expect(statementsOf(template, fn.role!)).toEqual([{
        Action: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
        Effect: 'Allow',
        Resource: profileReadArn(p),
      }]);
      expect(actionsOn(template, profileReadArn(p))).toEqual(READ_ACTIONS);

      // the function's errors, in the environment's monitors
      expect(alarm).toBeInstanceOf(cloudwatch.Alarm);
      expect(propertiesOf(stack, alarm)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(fn) } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmDescription: 'S/Fn failed while S/Config was deploying: AppConfig rolls the deployment back.',
      });
      expect(propertiesOf(stack, alarm!).AlarmActions).toBeUndefined();
      expect(monitorsOf(stack, p)).toEqual([{
        AlarmArn: { 'Fn::GetAtt': [logicalIdOf(alarm!), 'Arn'] },
        AlarmRoleArn: { 'Fn::GetAtt': [logicalIdOf(p.node.findChild('MonitorRole') as iam.Role), 'Arn'] },
      }]);
      template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
      Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
    });

    test('an arm64 function gets the arm64 layer', () => {
      // GIVEN
      const stack = regionalStack('S');
      const p = profile(stack);
      const fn = newFunction(stack, 'Fn', { architecture: lambda.Architecture.ARM_64 });

      // WHEN
      p.attachTo(fn);

      // THEN
      expect(propertiesOf(stack, fn).Layers).toEqual([ARM64_LAYER]);
    });

    test('another known region gets its own layer', () => {
      // GIVEN
      const stack = regionalStack('S', 'us-east-1');
      const p = profile(stack);
      const fn = newFunction(stack);

      // WHEN
      p.attachTo(fn);

      // THEN
      expect(propertiesOf(stack, fn).Layers).toEqual(['arn:aws:lambda:us-east-1:027255383542:layer:AWS-AppConfig-Extension:321']);
    });

    test('no dependency cycle: the function reads any environment, the environment monitors its alarm', () => {
      // GIVEN
      const stack = regionalStack('S');
      const p = profile(stack);
      const fn = newFunction(stack);

      // WHEN
      const alarm = attachedAlarm(p, fn);

      // THEN
      // the offline validator (newApp()) fails the synth on a cycle
      expect(() => Template.fromStack(stack)).not.toThrow();
      const resources = Template.fromStack(stack).toJSON().Resources;
      const environmentId = logicalIdOf(p.environment);
      const policyId = logicalIdOf(fn.role!.node.findChild('DefaultPolicy') as iam.Policy);
      // the environment depends on the alarm (its monitor), so nothing the function depends on may name the environment
      expect(JSON.stringify(resources[environmentId])).toContain(logicalIdOf(alarm));
      expect(resources[environmentId].DependsOn ?? []).not.toContain(policyId);
      expect(JSON.stringify(resources[policyId])).not.toContain(environmentId);
      expect(JSON.stringify(resources[logicalIdOf(fn)])).not.toContain(environmentId);
      expect(resources[logicalIdOf(fn)].DependsOn).toContain(policyId);
    });

    test('control: the same validator fails the synth when the policy depends on the environment', () => {
      // GIVEN a profile attached to a function, as above
      const stack = regionalStack('S');
      const p = profile(stack);
      const fn = newFunction(stack);
      p.attachTo(fn);

      // WHEN the function's policy names the environment (what a grant on the environment would do)
      (fn.role!.node.findChild('DefaultPolicy') as iam.Policy).node.addDependency(p.environment);

      // THEN environment -> alarm -> function -> policy -> environment is refused
      const environmentId = logicalIdOf(p.environment);
      const policyId = logicalIdOf(fn.role!.node.findChild('DefaultPolicy') as iam.Policy);
      expect(() => Template.fromStack(stack))
        .toThrow(new RegExp(`Circular Dependencies for resource ${environmentId}\\. Circular dependency with \\[${environmentId} -> .* -> ${policyId} -> ${environmentId}\\]`));
    });

    test('two profiles on one function: the layer once, both paths, both grants, both alarms', () => {
      // GIVEN
      const stack = regionalStack('S');
      const first = profile(stack, {}, 'First');
      const second = profile(stack, {}, 'Second');
      const fn = newFunction(stack);

      // WHEN
      const firstAlarm = attachedAlarm(first, fn);
      const secondAlarm = attachedAlarm(second, fn, { environmentVariable: 'SECOND_CONFIGURATION_PATH' });

      // THEN
      const fnProps = propertiesOf(stack, fn);
      expect(fnProps.Layers).toEqual([X86_LAYER]);
      expect(fnProps.Environment.Variables).toEqual({
        APPCONFIG_CONFIGURATION_PATH: first.configurationPath,
        SECOND_CONFIGURATION_PATH: second.configurationPath,
      });
      const template = Template.fromStack(stack);
      expect(actionsOn(template, profileReadArn(first))).toEqual(READ_ACTIONS);
      expect(actionsOn(template, profileReadArn(second))).toEqual(READ_ACTIONS);
      // one alarm on the function's errors, monitored by both
      expect(secondAlarm).toBe(firstAlarm);
      Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 1);
      expect(monitorsOf(stack, first)).toEqual([expect.objectContaining({ AlarmArn: { 'Fn::GetAtt': [logicalIdOf(firstAlarm), 'Arn'] } })]);
      expect(monitorsOf(stack, second)).toEqual([expect.objectContaining({ AlarmArn: { 'Fn::GetAtt': [logicalIdOf(firstAlarm), 'Arn'] } })]);
    });

    test('one profile on two functions: each gets the layer, the path, the grant, and its alarm', () => {
      // GIVEN
      const stack = regionalStack('S');
      const p = profile(stack);
      const a = newFunction(stack, 'A');
      const b = newFunction(stack, 'B', { architecture: lambda.Architecture.ARM_64 });

      // WHEN
      const alarmA = attachedAlarm(p, a);
      const alarmB = attachedAlarm(p, b);

      // THEN
      expect(propertiesOf(stack, a).Layers).toEqual([X86_LAYER]);
      expect(propertiesOf(stack, b).Layers).toEqual([ARM64_LAYER]);
      for (const fn of [a, b]) {
        expect(propertiesOf(stack, fn).Environment.Variables.APPCONFIG_CONFIGURATION_PATH).toBe(p.configurationPath);
        expect(statementsOf(Template.fromStack(stack), fn.role!)).toEqual([expect.objectContaining({ Resource: profileReadArn(p) })]);
      }
      expect(monitorsOf(stack, p).map((m: any) => m.AlarmArn)).toEqual([
        { 'Fn::GetAtt': [logicalIdOf(alarmA), 'Arn'] },
        { 'Fn::GetAtt': [logicalIdOf(alarmB), 'Arn'] },
      ]);
      Template.fromStack(stack).resourceCountIs('AWS::IAM::Role', 3);
    });

    test('environmentVariable and monitorErrors false: another variable, no alarm, no monitor', () => {
      // GIVEN
      const stack = regionalStack('S');
      const p = profile(stack);
      const fn = newFunction(stack);

      // WHEN
      const grant = p.attachTo(fn, { environmentVariable: 'MY_CONFIG', monitorErrors: false });

      // THEN
      expect(grant.success).toBe(true);
      expect(p.monitors).toEqual([]);
      expect(propertiesOf(stack, fn).Environment.Variables).toEqual({ MY_CONFIG: p.configurationPath });
      expect(propertiesOf(stack, fn).Layers).toEqual([X86_LAYER]);
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
      expect(monitorsOf(stack, p)).toBeUndefined();
      // only the function's role: no monitor role
      template.resourceCountIs('AWS::IAM::Role', 1);
      expect(actionsOn(template, profileReadArn(p))).toEqual(READ_ACTIONS);
    });

    test('alarmAction: on the error alarm, on ALARM and on OK', () => {
      // GIVEN
      const stack = regionalStack('S');
      const topic = new sns.Topic(stack, 'Topic');
      const p = profile(stack, { alarmAction: new cw_actions.SnsAction(topic) });
      const fn = newFunction(stack);

      // WHEN
      const alarm = attachedAlarm(p, fn);

      // THEN
      const props = propertiesOf(stack, alarm);
      expect(props.AlarmActions).toEqual([{ Ref: logicalIdOf(topic) }]);
      expect(props.OKActions).toEqual([{ Ref: logicalIdOf(topic) }]);
    });

    test('monitors and attachTo: the given alarms and the error alarm, one role', () => {
      // GIVEN
      const stack = regionalStack('S');
      const given = cloudwatch.Alarm.fromAlarmArn(stack, 'Given', 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:steady');
      const p = profile(stack, { monitors: [given] });
      const fn = newFunction(stack);

      // WHEN
      const alarm = attachedAlarm(p, fn);

      // THEN
      const template = Template.fromStack(stack);
      const monitorRoleArn = { 'Fn::GetAtt': [logicalIdOf(p.node.findChild('MonitorRole') as iam.Role), 'Arn'] };
      expect(monitorsOf(stack, p)).toEqual([
        { AlarmArn: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:steady', AlarmRoleArn: monitorRoleArn },
        { AlarmArn: { 'Fn::GetAtt': [logicalIdOf(alarm), 'Arn'] }, AlarmRoleArn: monitorRoleArn },
      ]);
      template.resourceCountIs('AWS::IAM::Role', 2);
    });

    test('a function in another stack: with monitorErrors false, the function\'s stack depends on the profile\'s', () => {
      // GIVEN
      const app = newApp();
      const configStack = new Stack(app, 'Config', { env: { region: REGION, account: ACCOUNT } });
      const appStack = new Stack(app, 'App', { env: { region: REGION, account: ACCOUNT } });
      const p = profile(configStack);
      const fn = newFunction(appStack);

      // WHEN
      p.attachTo(fn, { monitorErrors: false });

      // THEN
      expect(() => app.synth()).not.toThrow();
      expect(appStack.dependencies.map(stack => stack.node.id)).toEqual(['Config']);
      expect(configStack.dependencies).toEqual([]);
      expect(propertiesOf(appStack, fn).Layers).toEqual([X86_LAYER]);
      expect(JSON.stringify(statementsOf(Template.fromStack(appStack), fn.role!))).toContain('Fn::ImportValue');
    });

    test('a function in another stack: the error alarm would make the stacks depend on each other', () => {
      // GIVEN
      const app = newApp();
      const configStack = new Stack(app, 'Config', { env: { region: REGION, account: ACCOUNT } });
      const appStack = new Stack(app, 'App', { env: { region: REGION, account: ACCOUNT } });
      const p = profile(configStack);
      const fn = newFunction(appStack);

      // WHEN
      p.attachTo(fn);

      // THEN the environment (Config) monitors an alarm on the function (App), whose policy names the profile (Config)
      expect(() => app.synth()).toThrow(/Adding this dependency \(App -> Config\/Config\/.*\) would create a cyclic reference/);
    });

    test('fails if the region is a token and no layerArn is given', () => {
      // GIVEN an env-agnostic stack
      const stack = new Stack(newApp(), 'S');
      const p = profile(stack);
      const fn = newFunction(stack);

      // WHEN / THEN
      expect(() => p.attachTo(fn))
        .toThrow(/layerArn is required when the stack's region is not known at synth time \(env-agnostic stack\), got region \$\{Token\[AWS\.Region\.\d+\]\}: set the stack's env\.region or give the AppConfig extension layer ARN/);
    });

    test('fails if the region has no known layer and no layerArn is given', () => {
      // GIVEN
      const stack = regionalStack('S', 'xx-nowhere-1');
      const p = profile(stack);
      const fn = newFunction(stack);

      // WHEN / THEN
      expect(() => p.attachTo(fn))
        .toThrow(/layerArn is required for region xx-nowhere-1: the library knows no AppConfig extension layer there/);
    });

    test('layerArn: used whatever the region and the architecture', () => {
      // GIVEN
      const agnostic = new Stack(newApp(), 'S');
      const unknown = regionalStack('S', 'xx-nowhere-1');
      const known = regionalStack('S');

      // WHEN
      const fns = [agnostic, unknown, known].map(stack => {
        const fn = newFunction(stack, 'Fn', { architecture: lambda.Architecture.ARM_64 });
        profile(stack, { layerArn: CUSTOM_LAYER }).attachTo(fn);
        return fn;
      });

      // THEN
      for (const fn of fns) {
        expect(propertiesOf(Stack.of(fn), fn).Layers).toEqual([CUSTOM_LAYER]);
      }
    });
  });

  describe('validation', () => {
    test('fails if the JSON content is not valid JSON', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => profile(stack, { content: appconfig.ConfigurationContent.fromInlineJson('{bad') }))
        .toThrow(/^content must be valid JSON \(content type application\/json\): .*JSON/);
    });

    test('fails if the content does not satisfy the schema, with the path and the message', () => {
      // GIVEN
      const stack = newStack();
      const schema = JSON.stringify({ type: 'object', properties: { a: { type: 'number' } } });
      // WHEN / THEN
      expect(() => profile(stack, { schema, content: appconfig.ConfigurationContent.fromInlineJson('{"a":"one"}') }))
        .toThrow(/^content does not satisfy the schema: \/a must be number$/);
    });

    test('fails with every schema error, not only the first', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => profile(stack, { schema: SCHEMA, content: appconfig.ConfigurationContent.fromInlineJson('{"retries":"3"}') }))
        .toThrow(/^content does not satisfy the schema: \/ must have required property 'greeting'; \/retries must be number$/);
    });

    test('fails if content that is not JSON is given a schema', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => profile(stack, { schema: SCHEMA, content: appconfig.ConfigurationContent.fromInlineText('greeting: hello') }))
        .toThrow(/^content must be valid JSON \(a schema is given\): /);
    });

    test('text content without a schema is not parsed', () => {
      // GIVEN
      const stack = newStack();
      // WHEN
      profile(stack, { content: appconfig.ConfigurationContent.fromInlineText('not { json') });
      // THEN
      expect(onlyProperties(Template.fromStack(stack), 'AWS::AppConfig::HostedConfigurationVersion')).toMatchObject({
        Content: 'not { json',
        ContentType: 'text/plain',
      });
    });

    test('fails if the schema is not JSON', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => profile(stack, { schema: '{"type": "object"' }))
        .toThrow(/^schema must be a JSON document, got invalid JSON: /);
    });

    test('fails if the schema is not a valid JSON Schema', () => {
      // GIVEN
      const stack = newStack();
      // WHEN / THEN
      expect(() => profile(stack, { schema: '{"type": 12}' }))
        .toThrow(/^schema must be a valid JSON Schema \(draft-07\): schema is invalid: data\/type must be/);
    });
  });

  describe('all-at-once deployments', () => {
    function allAtOnce(stack: Stack): appconfig.IDeploymentStrategy {
      return appconfig.DeploymentStrategy.fromDeploymentStrategyId(stack, 'S', appconfig.DeploymentStrategyId.ALL_AT_ONCE);
    }

    test('warns if a predefined all-at-once strategy has no monitor', () => {
      // GIVEN
      const stack = newStack();

      // WHEN
      profile(stack, { deploymentStrategy: allAtOnce(stack) });

      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('/Test/Config', Match.anyValue());
      expect(warnings).toHaveLength(1);
      expect(warnings[0].entry.data).toMatch(/deploymentStrategy deploys all at once and no monitor can roll it back: a bad configuration reaches every function at once\. .*\[ack: Resilience-AllAtOnceWithoutMonitors\]/);
    });

    test('warns if a custom strategy grows by 100% at once', () => {
      // GIVEN
      const stack = newStack();
      const strategy = new appconfig.DeploymentStrategy(stack, 'Strategy', { rolloutStrategy: appconfig.RolloutStrategy.ALL_AT_ONCE });

      // WHEN
      profile(stack, { deploymentStrategy: strategy });

      // THEN
      Annotations.fromStack(stack).hasWarning('/Test/Config', Match.stringLikeRegexp('AllAtOnceWithoutMonitors'));
    });

    test('the warning can be acknowledged', () => {
      // GIVEN
      const stack = newStack();

      // WHEN
      const p = profile(stack, { deploymentStrategy: allAtOnce(stack) });
      CoreAnnotations.of(p).acknowledgeWarning(ALL_AT_ONCE_WARNING, 'a single test function');

      // THEN
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });

    test('no warning with monitors', () => {
      // GIVEN
      const stack = newStack();
      const alarm = cloudwatch.Alarm.fromAlarmArn(stack, 'Steady', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:steady');

      // WHEN
      profile(stack, { deploymentStrategy: allAtOnce(stack), monitors: [alarm] });

      // THEN
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });

    test('no warning when attachTo() adds the function\'s error alarm as a monitor', () => {
      // GIVEN
      const stack = regionalStack('S');
      const p = profile(stack, { deploymentStrategy: allAtOnce(stack) });

      // WHEN
      p.attachTo(newFunction(stack));

      // THEN the environment has a monitor that rolls the deployment back, as the warning itself advises
      expect(monitorsOf(stack, p)).toHaveLength(1);
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });

    test('a gradual strategy: no warning', () => {
      // GIVEN
      const stack = newStack();
      const strategy = appconfig.DeploymentStrategy.fromDeploymentStrategyId(stack, 'S', appconfig.DeploymentStrategyId.LINEAR_50_PERCENT_EVERY_30_SECONDS);

      // WHEN
      profile(stack, { deploymentStrategy: strategy });

      // THEN
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });
  });

  test('snapshot', () => {
    // GIVEN
    const stack = regionalStack('S');
    const topic = new sns.Topic(stack, 'Topic');
    const p = profile(stack, { schema: SCHEMA, alarmAction: new cw_actions.SnsAction(topic) });

    // WHEN
    p.attachTo(newFunction(stack));

    // THEN
    expect(maskAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});
