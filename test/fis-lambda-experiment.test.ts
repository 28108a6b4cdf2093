import * as path from 'path';
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { FisLambdaExperiment, FisLambdaExperimentProps, LambdaFault } from '../src';
import { findings } from './checks/nag';
import {
  FLAG_SETS, handlerProps, logicalIdOf, maskAssetHashes, newApp, newStack, onlyProperties, propertiesOf, regionalStack, statementsOf,
} from './helpers';

const X86_PARAMETER = '/aws/service/fis/lambda-extension/AWS-FIS-extension-x86_64/1.x.x';
const ARM_PARAMETER = '/aws/service/fis/lambda-extension/AWS-FIS-extension-arm64/1.x.x';

/** A steady-state alarm of `stack`: the p99 latency that the callers of checkout see. */
function callerLatency(stack: Stack, id = 'CheckoutLatency'): cloudwatch.Alarm {
  const existing = stack.node.tryFindChild(id);
  if (existing) return existing as cloudwatch.Alarm;
  return new cloudwatch.Alarm(stack, id, {
    metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'CheckoutLatency', statistic: 'p99' }),
    threshold: 3000,
    evaluationPeriods: 2,
  });
}

/** A function of `stack`, with the props given. */
function handler(stack: Stack, id = 'Payments', props: Partial<lambda.FunctionProps> = {}): lambda.Function {
  return new lambda.Function(stack, id, { ...handlerProps, ...props });
}

/** An experiment on a new function of `stack`, with `props` over a delay of 2 s watched by a latency alarm. */
function experiment(stack: Stack, props: Partial<FisLambdaExperimentProps> = {}, id = 'SlowPayments'): FisLambdaExperiment {
  return new FisLambdaExperiment(stack, id, {
    functions: props.functions ?? [handler(stack)],
    fault: LambdaFault.addDelay(Duration.seconds(2)),
    stopConditions: [callerLatency(stack)],
    ...props,
  });
}

/** The experiment template's properties. */
function templateOf(stack: Stack): any {
  return onlyProperties(Template.fromStack(stack), 'AWS::FIS::ExperimentTemplate');
}

/** The only action of the experiment template. */
function actionOf(stack: Stack): any {
  const actions = Object.values(templateOf(stack).Actions);
  expect(actions).toHaveLength(1);
  return actions[0];
}

/** `${bucket.Arn}<suffix>` as the template renders it. */
function bucketPath(bucketId: string, suffix: string): unknown {
  return { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, suffix]] };
}

describe('FisLambdaExperiment', () => {
  test('defaults', () => {
    // GIVEN
    const stack = newStack();
    const fn = handler(stack);

    // WHEN
    const chaos = experiment(stack, { functions: [fn] });

    // THEN the template: the fault on every invocation of the function for 10 minutes, stopped by the alarm, logged
    const template = Template.fromStack(stack);
    const bucket = logicalIdOf(chaos.configurationBucket);
    expect(templateOf(stack)).toEqual({
      Description: 'Test/SlowPayments: add 2000 ms of delay to 100% of invocations for 10 min',
      RoleArn: { 'Fn::GetAtt': [logicalIdOf(chaos.role), 'Arn'] },
      Targets: {
        Functions: {
          ResourceType: 'aws:lambda:function',
          ResourceArns: [{ 'Fn::GetAtt': [logicalIdOf(fn), 'Arn'] }],
          SelectionMode: 'ALL',
        },
      },
      Actions: {
        'invocation-add-delay': {
          ActionId: 'aws:lambda:invocation-add-delay',
          Parameters: { duration: 'PT10M', invocationPercentage: '100', startupDelayMilliseconds: '2000' },
          Targets: { Functions: 'Functions' },
        },
      },
      StopConditions: [{ Source: 'aws:cloudwatch:alarm', Value: { 'Fn::GetAtt': [logicalIdOf(callerLatencyOf(stack)), 'Arn'] } }],
      LogConfiguration: {
        CloudWatchLogsConfiguration: { LogGroupArn: { 'Fn::GetAtt': [logicalIdOf(chaos.logGroup), 'Arn'] } },
        LogSchemaVersion: 2,
      },
    });
    expect(stack.resolve(chaos.experimentTemplateId)).toEqual({ Ref: logicalIdOf(chaos.experimentTemplate) });

    // THEN the log group keeps the log 90 days
    expect(propertiesOf(stack, chaos.logGroup)).toEqual({ RetentionInDays: 90 });

    // THEN the bucket: encrypted, TLS only, private, objects expire after a day, kept when the stack goes
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: { Rules: [{ ExpirationInDays: 1, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }] },
      },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });

    // THEN the function: the x86_64 extension layer from AWS's public parameter, the location and the wrapper
    const fnProps = propertiesOf(stack, fn);
    expect(fnProps.Environment.Variables).toEqual({
      AWS_FIS_CONFIGURATION_LOCATION: bucketPath(bucket, '/FisConfigs/'),
      AWS_LAMBDA_EXEC_WRAPPER: '/opt/aws-fis/bootstrap',
    });
    expect(fnProps.Layers).toEqual([{ Ref: parameterId(template, X86_PARAMETER) }]);

    // THEN the function's role lists the prefix only and reads under it
    expect(statementsOf(template, fn.role!)).toEqual([
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucket, 'Arn'] }, Condition: { StringLike: { 's3:prefix': ['FisConfigs/*'] } } },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: bucketPath(bucket, '/FisConfigs/*') },
    ]);

    // THEN the experiment role: trusted by FIS of this account, writes the prefix, reads the target, looks up tags, delivers its log
    expect(propertiesOf(stack, chaos.role).AssumeRolePolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Principal: { Service: 'fis.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: {
          'aws:SourceArn': {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':fis:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':experiment/*']],
          },
        },
      },
    }]);
    expect(statementsOf(template, chaos.role)).toEqual([
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: bucketPath(bucket, '/FisConfigs/*') },
      { Effect: 'Allow', Action: 'lambda:GetFunction', Resource: { 'Fn::GetAtt': [logicalIdOf(fn), 'Arn'] } },
      { Effect: 'Allow', Action: 'tag:GetResources', Resource: '*' },
      { Effect: 'Allow', Action: 'logs:CreateLogDelivery', Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:*']],
        },
      },
    ]);
  });

  test('each fault renders its action and parameters', () => {
    const cases: Array<[LambdaFault, string, Record<string, string>]> = [
      [LambdaFault.addDelay(Duration.millis(900_000)), 'aws:lambda:invocation-add-delay', { startupDelayMilliseconds: '900000' }],
      [LambdaFault.addDelay(Duration.millis(0)), 'aws:lambda:invocation-add-delay', { startupDelayMilliseconds: '0' }],
      [LambdaFault.error(), 'aws:lambda:invocation-error', { preventExecution: 'false' }],
      [LambdaFault.error({ preventExecution: true }), 'aws:lambda:invocation-error', { preventExecution: 'true' }],
      [LambdaFault.httpResponse(503), 'aws:lambda:invocation-http-integration-response',
        { statusCode: '503', contentTypeHeader: 'application/json', preventExecution: 'false' }],
      [LambdaFault.httpResponse(429, { contentType: 'text/plain', preventExecution: true }), 'aws:lambda:invocation-http-integration-response',
        { statusCode: '429', contentTypeHeader: 'text/plain', preventExecution: 'true' }],
    ];
    for (const [fault, actionId, parameters] of cases) {
      // GIVEN
      const stack = newStack();
      // WHEN
      experiment(stack, { fault });
      // THEN
      expect(actionOf(stack)).toEqual({
        ActionId: actionId,
        Parameters: { duration: 'PT10M', invocationPercentage: '100', ...parameters },
        Targets: { Functions: 'Functions' },
      });
      expect(Object.keys(templateOf(stack).Actions)).toEqual([actionId.replace('aws:lambda:', '')]);
    }
  });

  test('options: invocation percentage, duration, description, several functions, up to 5 stop conditions', () => {
    // GIVEN
    const stack = newStack();
    const functions = [1, 2, 3, 4, 5].map(i => handler(stack, `Fn${i}`));
    const alarms = [1, 2, 3, 4, 5].map(i => callerLatency(stack, `Latency${i}`));

    // WHEN
    new FisLambdaExperiment(stack, 'Chaos', {
      functions,
      fault: LambdaFault.httpResponse(503),
      invocationPercentage: 25,
      duration: Duration.hours(12),
      stopConditions: alarms,
      description: 'checkout answers 503 to a quarter of requests',
    });

    // THEN
    const template = templateOf(stack);
    expect(template.Description).toBe('checkout answers 503 to a quarter of requests');
    expect(template.Actions['invocation-http-integration-response'].Parameters).toMatchObject({ duration: 'PT12H', invocationPercentage: '25' });
    expect(template.Targets.Functions.ResourceArns).toEqual(functions.map(fn => ({ 'Fn::GetAtt': [logicalIdOf(fn), 'Arn'] })));
    expect(template.StopConditions).toEqual(alarms.map(a => ({ Source: 'aws:cloudwatch:alarm', Value: { 'Fn::GetAtt': [logicalIdOf(a), 'Arn'] } })));
  });

  test('the default description says the fault', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    experiment(stack, { fault: LambdaFault.httpResponse(503, { preventExecution: true }), invocationPercentage: 10, duration: Duration.minutes(90) });
    // THEN
    expect(templateOf(stack).Description).toBe('Test/SlowPayments: return HTTP 503 without running 10% of invocations for 90 min');
  });

  test('a bucket, a prefix and a log group of the user\'s', () => {
    // GIVEN
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Configs', { encryptionKey: new kms.Key(stack, 'Key'), encryption: s3.BucketEncryption.KMS });
    const logGroup = new logs.LogGroup(stack, 'ChaosLogs');
    const fn = handler(stack);

    // WHEN
    const chaos = experiment(stack, { functions: [fn], configurationBucket: bucket, configurationPrefix: 'chaos/checkout/', logGroup });

    // THEN no bucket or log group of the library's, and the function reads the user's prefix
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    expect(chaos.configurationBucket).toBe(bucket);
    expect(chaos.logGroup).toBe(logGroup);
    expect(propertiesOf(stack, fn).Environment.Variables.AWS_FIS_CONFIGURATION_LOCATION).toEqual(bucketPath(logicalIdOf(bucket), '/chaos/checkout/'));
    expect(templateOf(stack).LogConfiguration.CloudWatchLogsConfiguration.LogGroupArn).toEqual({ 'Fn::GetAtt': [logicalIdOf(logGroup), 'Arn'] });

    // THEN with a customer-managed key, the function may decrypt and FIS may encrypt
    const keyArn = { 'Fn::GetAtt': [logicalIdOf(bucket.encryptionKey!), 'Arn'] };
    expect(statementsOf(template, fn.role!)).toContainEqual(expect.objectContaining({ Action: 'kms:Decrypt', Resource: keyArn }));
    expect(statementsOf(template, chaos.role)).toContainEqual(expect.objectContaining({
      Action: ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], Resource: keyArn,
    }));
    expect(statementsOf(template, chaos.role)).toContainEqual(
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: bucketPath(logicalIdOf(bucket), '/chaos/checkout/*') });
  });

  test('a percentage from a parameter is rendered as its reference, and not checked', () => {
    // GIVEN
    const stack = newStack();
    const percentage = new CfnParameter(stack, 'Percentage', { type: 'Number', default: 10 });
    // WHEN
    experiment(stack, { invocationPercentage: percentage.valueAsNumber });
    // THEN
    expect(actionOf(stack).Parameters.invocationPercentage).toEqual({ Ref: 'Percentage' });
  });

  test('a bucket imported by name: the grants are scoped to its prefix and acknowledged as such', () => {
    // GIVEN a cdk init app, and a bucket of another stack or team
    const app = newApp('recommended');
    const stack = new Stack(app, 'Test');
    const fn = handler(stack);
    const bucket = s3.Bucket.fromBucketName(stack, 'Shared', 'shared-chaos');
    // WHEN
    const chaos = experiment(stack, { functions: [fn], configurationBucket: bucket });
    // THEN the library's resources have no finding; the user's function keeps only the user's own choices
    const found = new AwsSolutionsChecks(app).validateScope(stack).violations
      .flatMap(v => v.violatingResources.map(r => `${v.ruleName} ${r.constructPath}`));
    expect(found.filter(f => !f.includes('Test/Payments'))).toEqual([]);
    expect(found.filter(f => f.includes('IAM5'))).toEqual([]);
    expect(statementsOf(Template.fromStack(stack), chaos.role)[0]).toEqual({
      Effect: 'Allow',
      Action: ['s3:DeleteObject', 's3:PutObject'],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::shared-chaos/FisConfigs/*']] },
    });
    expect(() => app.synth()).not.toThrow();
  });

  test('an arm64 function gets the arm64 layer, an x86_64 one the x86_64 layer', () => {
    // GIVEN
    const stack = newStack();
    const arm = handler(stack, 'Arm', { architecture: lambda.Architecture.ARM_64 });
    const x86 = handler(stack, 'X86', { architecture: lambda.Architecture.X86_64 });

    // WHEN
    experiment(stack, { functions: [arm, x86] });

    // THEN both parameters are read at deploy time, each by the function of its architecture
    const template = Template.fromStack(stack);
    expect(propertiesOf(stack, arm).Layers).toEqual([{ Ref: parameterId(template, ARM_PARAMETER) }]);
    expect(propertiesOf(stack, x86).Layers).toEqual([{ Ref: parameterId(template, X86_PARAMETER) }]);
    expect(template.toJSON().Parameters[parameterId(template, ARM_PARAMETER)]).toEqual({
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: ARM_PARAMETER,
    });
  });

  test('two experiments on one function share its wiring and the stack\'s bucket', () => {
    // GIVEN
    const stack = newStack();
    const fn = handler(stack);

    // WHEN
    const slow = experiment(stack, { functions: [fn] }, 'Slow');
    const failing = experiment(stack, { functions: [fn], fault: LambdaFault.error() }, 'Failing');

    // THEN one bucket, one layer, one set of variables, one read grant; two templates with their own role and log group
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.resourceCountIs('AWS::FIS::ExperimentTemplate', 2);
    expect(slow.configurationBucket).toBe(failing.configurationBucket);
    const fnProps = propertiesOf(stack, fn);
    expect(fnProps.Layers).toHaveLength(1);
    expect(Object.keys(fnProps.Environment.Variables)).toEqual(['AWS_FIS_CONFIGURATION_LOCATION', 'AWS_LAMBDA_EXEC_WRAPPER']);
    expect(statementsOf(template, fn.role!)).toHaveLength(2);
    expect(slow.role).not.toBe(failing.role);
  });

  test('a NodejsFunction the user brings, in a cdk init app, environment-agnostic and regional, has no finding and synthesizes', () => {
    for (const env of [undefined, { account: '111122223333', region: 'eu-west-1' }]) {
      // GIVEN
      const app = newApp('recommended');
      const stack = new Stack(app, 'Shop', { env });
      const fn = new nodejs.NodejsFunction(stack, 'Checkout', {
        entry: path.join(__dirname, 'fixtures', 'handlers', 'batch.ts'),
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        bundling: { minify: true, externalModules: ['@aws-sdk/*'] },
      });

      // WHEN
      experiment(stack, { functions: [fn] });

      // THEN
      expect(propertiesOf(stack, fn).Environment.Variables).toMatchObject({ AWS_LAMBDA_EXEC_WRAPPER: '/opt/aws-fis/bootstrap' });
      expect(findings(stack, 'Resilience-FIS1')).toEqual([]);
      expect(() => app.synth()).not.toThrow();
    }
  });

  test('a regional stack renders the role\'s ARNs with the known region and account', () => {
    // GIVEN
    const stack = regionalStack();
    // WHEN
    const chaos = experiment(stack);
    // THEN
    expect(statementsOf(Template.fromStack(stack), chaos.role)).toContainEqual(expect.objectContaining({
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:111122223333:log-group:*']] },
    }));
  });

  test('an experiment without a stop condition needs allowNoStopCondition, and ResilienceChecks reports it', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    experiment(stack, { stopConditions: [], allowNoStopCondition: true });
    // THEN
    expect(templateOf(stack).StopConditions).toEqual([{ Source: 'none' }]);
    expect(findings(stack, 'Resilience-FIS1')).toEqual(['Test/SlowPayments/Resource']);
  });

  test('the template validates with the offline CloudFormation validator in both flag sets', () => {
    for (const flags of FLAG_SETS) {
      // GIVEN
      const app: App = newApp(flags);
      const stack = new Stack(app, 'Test');
      const fn = handler(stack);
      // WHEN each fault on one function
      for (const fault of [LambdaFault.addDelay(Duration.seconds(1)), LambdaFault.error(), LambdaFault.httpResponse(500)]) {
        experiment(stack, { functions: [fn], fault }, fault.actionId.replace(/\W/g, ''));
      }
      // THEN
      expect(() => app.synth()).not.toThrow();
    }
  });

  test('snapshot', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    experiment(stack, { invocationPercentage: 25 });
    // THEN
    expect(maskAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });

  describe('fails', () => {
    test.each([
      ['no function', { functions: [] }, /functions must list between 1 and 5 functions \(one FIS target lists at most 5 ARNs\), got 0/],
      ['6 functions', 'six', /functions must list between 1 and 5 functions .*got 6: create one experiment per group of functions/],
      ['a percentage of 0', { invocationPercentage: 0 }, /invocationPercentage must be an integer between 1 and 100, got 0/],
      ['a percentage of 101', { invocationPercentage: 101 }, /invocationPercentage must be an integer between 1 and 100, got 101/],
      ['a fractional percentage', { invocationPercentage: 12.5 }, /invocationPercentage must be an integer between 1 and 100, got 12.5/],
      ['a duration below 60 s', { duration: Duration.seconds(30) }, /duration must be between 60 s and 12 h, got 30 s/],
      ['a duration above 12 h', { duration: Duration.hours(13) }, /duration must be between 60 s and 12 h, got 13 h/],
      ['no stop condition', { stopConditions: [] }, /stopConditions must list at least one alarm that watches the steady state .* set allowNoStopCondition: true/],
      ['6 stop conditions', 'six alarms', /stopConditions must list at most 5 alarms \(an FIS template has at most 5\), got 6/],
      ['allowNoStopCondition with alarms', { allowNoStopCondition: true }, /allowNoStopCondition must not be set when stopConditions lists alarms, got 1 alarms/],
      ['an empty prefix', { configurationPrefix: '' }, /configurationPrefix must be a folder such as 'FisConfigs\/' .*got ''/],
      ['a prefix without a trailing slash', { configurationPrefix: 'chaos' }, /configurationPrefix must be a folder .*got 'chaos'/],
      ['a prefix with a leading slash', { configurationPrefix: '/chaos/' }, /configurationPrefix must be a folder .*got '\/chaos\/'/],
      ['a description too long', { description: 'x'.repeat(513) }, /description must be between 1 and 512 characters, got 513/],
    ])('if given %s', (_name, props, error) => {
      // GIVEN
      const stack = newStack();
      const given = props === 'six' ? { functions: [1, 2, 3, 4, 5, 6].map(i => handler(stack, `Fn${i}`)) }
        : props === 'six alarms' ? { stopConditions: [1, 2, 3, 4, 5, 6].map(i => callerLatency(stack, `L${i}`)) }
          : props as Partial<FisLambdaExperimentProps>;
      // WHEN / THEN
      expect(() => experiment(stack, given)).toThrow(error);
    });

    test('if the stack root already has a construct with the configuration bucket\'s id', () => {
      // GIVEN
      const stack = newStack();
      new Construct(stack, 'FisConfigurationBucket');
      // WHEN / THEN
      expect(() => experiment(stack)).toThrow(/creates its stack's configuration bucket with the id 'FisConfigurationBucket' at the stack's root, but Test\/FisConfigurationBucket already has that id/);
    });

    test.each([
      ['a delay above 900,000 ms', () => LambdaFault.addDelay(Duration.millis(900_001)),
        /fault.addDelay\(delay\) must be a whole number of milliseconds between 0 and 900000 ms, got 900001 ms/],
      ['a fractional delay', () => LambdaFault.addDelay(Duration.millis(1.5)), /fault.addDelay\(delay\) must be a whole number .*got 1.5 ms/],
      ['a status code above 999', () => LambdaFault.httpResponse(1000), /fault.httpResponse\(statusCode\) must be an integer between 0 and 999, got 1000/],
      ['a negative status code', () => LambdaFault.httpResponse(-1), /fault.httpResponse\(statusCode\) must be an integer between 0 and 999, got -1/],
      ['an empty content type', () => LambdaFault.httpResponse(503, { contentType: '' }), /fault.httpResponse\(options.contentType\) must not be empty/],
    ])('if the fault has %s', (_name, fault, error) => {
      expect(fault).toThrow(error);
    });

    const ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:payments';
    const IMPORTED = /functions\[0\] must be a lambda.Function of this app .*got Test\/Imported \((.+)\), a function imported with Function.fromFunctionArn, fromFunctionName or fromFunctionAttributes: the FIS Lambda actions act only on a function that carries the FIS extension layer, AWS_FIS_CONFIGURATION_LOCATION and AWS_LAMBDA_EXEC_WRAPPER, and an imported function's layers and environment belong to the app that deploys it, whatever role it is imported with; create the experiment in that app, on the function itself$/;
    test.each([
      ['Function.fromFunctionArn', (stack: Stack) => lambda.Function.fromFunctionArn(stack, 'Imported', ARN), ARN],
      ['Function.fromFunctionName', (stack: Stack) => lambda.Function.fromFunctionName(stack, 'Imported', 'payments'),
        'arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:payments'],
      ['Function.fromFunctionAttributes without a role', (stack: Stack) => lambda.Function.fromFunctionAttributes(stack, 'Imported', { functionArn: ARN }), ARN],
      ['Function.fromFunctionAttributes with its role', (stack: Stack) => lambda.Function.fromFunctionAttributes(stack, 'Imported', {
        functionArn: ARN, role: iam.Role.fromRoleName(stack, 'PaymentsRole', 'payments'),
      }), ARN],
      ['Function.fromFunctionAttributes with an immutable role', (stack: Stack) => lambda.Function.fromFunctionAttributes(stack, 'Imported', {
        functionArn: ARN, role: iam.Role.fromRoleName(stack, 'PaymentsRole', 'payments', { mutable: false }),
      }), ARN],
    ])('if a function was imported with %s: one error that says why and what to do instead', (_name, imported, arn) => {
      // GIVEN
      const stack = newStack();
      const fn = imported(stack);
      // WHEN
      const error = catchError(() => experiment(stack, { functions: [fn] }));
      // THEN the error names the prop, the value and the way out, and never asks for a role (a role does not help)
      expect(error).toMatch(IMPORTED);
      expect(error.match(IMPORTED)![1]).toBe(arn);
      expect(error).not.toMatch(/role\)|fromFunctionAttributes\(\{/);
    });

    test('if a function is an alias or a version of a function of this app: target the function', () => {
      // GIVEN
      const stack = newStack();
      const fn = handler(stack);
      const alias = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: fn.currentVersion });
      const version = new lambda.Version(stack, 'V1', { lambda: fn });
      // WHEN / THEN the prop is named with its index, and the function to target instead
      expect(() => experiment(stack, { functions: [fn, alias] }, 'ChaosAlias'))
        .toThrow(/functions\[1\] must be a lambda.Function of this app .*got Test\/Live \(.*\), an alias \(live\) of a function: .*set on the function, never on a version or an alias; target the function itself, Test\/Payments: its versions published after the wiring carry them$/);
      expect(() => experiment(stack, { functions: [version] }, 'ChaosVersion'))
        .toThrow(/functions\[0\] must be a lambda.Function of this app .*got Test\/V1 \(.*\), a version \(<V1[0-9A-F]+\.Version>\) of a function: .*target the function itself, Test\/Payments/);
    });

    test('if a function is an alias or a version of an imported function: create the experiment where the function is deployed', () => {
      // GIVEN
      const stack = newStack();
      const imported = lambda.Function.fromFunctionArn(stack, 'Imported', ARN);
      const version = lambda.Version.fromVersionArn(stack, 'V7', `${ARN}:7`);
      const alias = lambda.Alias.fromAliasAttributes(stack, 'Live', { aliasName: 'live', aliasVersion: lambda.Version.fromVersionAttributes(stack, 'V8', { lambda: imported, version: '8' }) });
      // WHEN / THEN
      expect(() => experiment(stack, { functions: [version] }, 'ChaosVersion'))
        .toThrow(/functions\[0\] must be a lambda.Function of this app .*got Test\/V7 \(arn:aws:lambda:eu-west-1:111122223333:function:payments:7\), a version \(7\) of a function: .*; its function, Test\/V7Function, is not a lambda.Function of this app either: create the experiment in the app that deploys that function/);
      expect(() => experiment(stack, { functions: [alias] }, 'ChaosAlias'))
        .toThrow(/got Test\/Live \(.*\), an alias \(live\) of a function: .*; its function, Test\/Imported, is not a lambda.Function of this app either/);
    });

    test('if a function is a container image', () => {
      // GIVEN
      const stack = newStack();
      const image = new lambda.Function(stack, 'Image', {
        runtime: lambda.Runtime.FROM_IMAGE,
        handler: lambda.Handler.FROM_IMAGE,
        code: lambda.Code.fromEcrImage(ecr.Repository.fromRepositoryName(stack, 'Repo', 'payments')),
      });
      // WHEN / THEN
      expect(() => experiment(stack, { functions: [image] }))
        .toThrow(/function Test\/Image is a container image: the FIS extension layer cannot be attached to it; package the extension into the image/);
    });

    test('if a function has another exec wrapper, before or after the experiment', () => {
      // GIVEN a function with a wrapper of its own
      const stack = newStack();
      const wrapped = handler(stack, 'Wrapped', { environment: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/otel-handler' } });
      // WHEN / THEN
      expect(() => experiment(stack, { functions: [wrapped] }))
        .toThrow(/function Test\/Wrapped already sets AWS_LAMBDA_EXEC_WRAPPER=\/opt\/otel-handler: the FIS extension needs \/opt\/aws-fis\/bootstrap .*chain them as AWS documents/);

      // GIVEN a wrapper set after the experiment wired the function
      const app = newApp();
      const late = new Stack(app, 'Late');
      const fn = handler(late);
      experiment(late, { functions: [fn] });
      fn.addEnvironment('AWS_LAMBDA_EXEC_WRAPPER', '/opt/otel-handler');
      // WHEN / THEN
      expect(() => app.synth()).toThrow(/AWS_LAMBDA_EXEC_WRAPPER of Late\/Payments was changed to \/opt\/otel-handler after a FisLambdaExperiment wired it/);
    });

    test('if a function gets a second configuration location', () => {
      // GIVEN a function wired with the stack's bucket
      const stack = newStack();
      const fn = handler(stack);
      experiment(stack, { functions: [fn] }, 'First');
      // WHEN / THEN another prefix, or another bucket
      expect(() => experiment(stack, { functions: [fn], configurationPrefix: 'other/' }, 'Second'))
        .toThrow(/function Test\/Payments already reads its FIS configuration from <FisConfigurationBucket[0-9A-F]+\.Arn>\/FisConfigs\/; Test\/Second cannot give it a second one \(<FisConfigurationBucket[0-9A-F]+\.Arn>\/other\/\)/);
      const other = s3.Bucket.fromBucketName(stack, 'Other', 'other-bucket');
      expect(() => experiment(stack, { functions: [fn], configurationBucket: other }, 'Third'))
        .toThrow(/cannot give it a second one \(arn:<AWS::Partition>:s3:::other-bucket\/FisConfigs\/\): a function has one AWS_FIS_CONFIGURATION_LOCATION/);
    });

    test('if a function sets its own location that differs', () => {
      // GIVEN
      const stack = newStack();
      const fn = handler(stack, 'Payments', { environment: { AWS_FIS_CONFIGURATION_LOCATION: 'arn:aws:s3:::shared-chaos/FisConfigs/' } });
      // WHEN / THEN
      expect(() => experiment(stack, { functions: [fn] }))
        .toThrow(/function Test\/Payments already sets AWS_FIS_CONFIGURATION_LOCATION=arn:aws:s3:::shared-chaos\/FisConfigs\/; a function has one configuration location/);
    });

    test('if a function streams its responses through a function URL', () => {
      // GIVEN
      const app = newApp();
      const stack = new Stack(app, 'Test');
      const fn = handler(stack);
      experiment(stack, { functions: [fn] });
      // WHEN
      fn.addFunctionUrl({ invokeMode: lambda.InvokeMode.RESPONSE_STREAM });
      // THEN
      expect(() => app.synth()).toThrow(/function Test\/Payments streams its responses \(function URL Test\/Payments\/FunctionUrl\/Resource with InvokeMode RESPONSE_STREAM\): the FIS Lambda extension does not support response streaming/);
    });

    test('not if a function URL buffers its responses', () => {
      // GIVEN
      const app = newApp();
      const stack = new Stack(app, 'Test');
      const fn = handler(stack);
      experiment(stack, { functions: [fn] });
      // WHEN
      fn.addFunctionUrl({ invokeMode: lambda.InvokeMode.BUFFERED });
      // THEN
      expect(() => app.synth()).not.toThrow();
    });
  });
});

/** The message of the error that `fn` throws. */
function catchError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, got none');
}

/** The latency alarm of `stack` (the one `experiment()` creates). */
function callerLatencyOf(stack: Stack): cloudwatch.Alarm {
  return stack.node.findAll().find((c): c is cloudwatch.Alarm => c instanceof cloudwatch.Alarm)!;
}

/** The logical ID of the template parameter that reads the public SSM parameter `name`. */
function parameterId(template: Template, name: string): string {
  const ids = Object.entries(template.toJSON().Parameters ?? {})
    .filter(([, p]: [string, any]) => p.Default === name)
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0];
}
