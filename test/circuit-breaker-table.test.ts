import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { CircuitBreakerTable } from '../src';
import { acknowledgementsOn, actionsOn, handlerProps, maskAssetHashes, newApp, newStack, onlyLogicalId, propertiesOf } from './helpers';

const IMPORTED_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:legacy';

/** The logical ID of the table of `circuits`. */
function tableId(stack: Stack, circuits: CircuitBreakerTable): string {
  return stack.getLogicalId(circuits.table.node.defaultChild as CfnElement);
}

/** The statements of the policies attached to `role`, across all its policies. */
function statementsOf(template: Template, role: iam.IRole): unknown[] {
  const roleRef = JSON.stringify(Stack.of(role).resolve(role.roleName));
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter(p => (p.Properties.Roles as unknown[]).some(r => JSON.stringify(r) === roleRef))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('CircuitBreakerTable', () => {
  test('defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const circuits = new CircuitBreakerTable(stack, 'Circuits');

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    // an alarm on opened circuits, with no action
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    expect(propertiesOf(stack, circuits.alarm)).toMatchObject({ MetricName: 'CircuitOpened', Threshold: 1 });
    expect(propertiesOf(stack, circuits.alarm).AlarmActions).toBeUndefined();
    const id = onlyLogicalId(template, 'AWS::DynamoDB::GlobalTable');
    expect(tableId(stack, circuits)).toBe(id);

    // on-demand, keyed by the circuit id, abandoned circuits expire, disposable state
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      Properties: {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        TableName: Match.absent(),
        GlobalSecondaryIndexes: Match.absent(),
        LocalSecondaryIndexes: Match.absent(),
      },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });

    expect(circuits.table).toBeInstanceOf(dynamodb.TableV2);
    expect(stack.resolve(circuits.table.tableName)).toEqual({ Ref: id });
  });

  test('tableName', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    new CircuitBreakerTable(stack, 'Circuits', { tableName: 'payments-circuits' });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'payments-circuits',
    });
  });

  test('removalPolicy RETAIN keeps the table', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    new CircuitBreakerTable(stack, 'Circuits', { removalPolicy: RemovalPolicy.RETAIN });

    // THEN
    Template.fromStack(stack).hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('alarmAction alarms as soon as a circuit opens, and when it recovers', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');

    // WHEN
    const circuits = new CircuitBreakerTable(stack, 'Circuits', { alarmAction: new cw_actions.SnsAction(topic) });

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    const topicId = onlyLogicalId(template, 'AWS::SNS::Topic');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CdkResilience/CircuitBreaker',
      MetricName: 'CircuitOpened',
      Dimensions: [{ Name: 'TableName', Value: { Ref: tableId(stack, circuits) } }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp('A circuit of Test/Circuits opened'),
      AlarmActions: [{ Ref: topicId }],
      OKActions: [{ Ref: topicId }],
    });
    expect(circuits.alarm).toBeInstanceOf(cloudwatch.Alarm);
    expect(stack.resolve(circuits.alarm.alarmArn)).toEqual({ 'Fn::GetAtt': [onlyLogicalId(template, 'AWS::CloudWatch::Alarm'), 'Arn'] });
  });

  test('attachTo tells the function the table and grants exactly GetItem and UpdateItem on it', () => {
    // GIVEN
    const stack = newStack();
    const circuits = new CircuitBreakerTable(stack, 'Circuits');
    const fn = new lambda.Function(stack, 'Fn', handlerProps);

    // WHEN
    const grant = circuits.attachTo(fn);

    // THEN
    expect(grant).toBeInstanceOf(iam.Grant);
    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    const id = tableId(stack, circuits);
    const tableArn = { 'Fn::GetAtt': [id, 'Arn'] };
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { CIRCUIT_BREAKER_TABLE: { Ref: id } } },
    });

    // nothing else on the table, from any policy
    expect(actionsOn(template, tableArn)).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    // the whole policy of the function: one statement, the two actions, the table only (no index, no wildcard)
    template.resourceCountIs('AWS::IAM::Policy', 1);
    expect(statementsOf(template, fn.role!)).toEqual([{
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      Resource: tableArn,
    }]);
    const everything = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(everything).not.toMatch(/dynamodb:\*|"\*"|\/index\//);
  });

  test('attachTo several functions gives each the table and the same two actions', () => {
    // GIVEN
    const stack = newStack();
    const circuits = new CircuitBreakerTable(stack, 'Circuits');
    const orders = new lambda.Function(stack, 'Orders', handlerProps);
    const payments = new lambda.Function(stack, 'Payments', handlerProps);

    // WHEN
    circuits.attachTo(orders);
    circuits.attachTo(payments);

    // THEN
    const template = Template.fromStack(stack);
    const id = tableId(stack, circuits);
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      expect(fn.Properties.Environment).toEqual({ Variables: { CIRCUIT_BREAKER_TABLE: { Ref: id } } });
    }
    for (const fn of [orders, payments]) {
      expect(statementsOf(template, fn.role!)).toEqual([{
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [id, 'Arn'] },
      }]);
    }
  });

  test('fails if attachTo is given an imported function', () => {
    // GIVEN
    const stack = newStack();
    const circuits = new CircuitBreakerTable(stack, 'Circuits');
    const imported = lambda.Function.fromFunctionArn(stack, 'Imported', IMPORTED_ARN);

    // WHEN / THEN the message names the function and says what to do instead
    expect(() => circuits.attachTo(imported)).toThrow(/CircuitBreakerTable.attachTo needs a lambda\.Function of this app .* whose environment and layers it can set, got Test\/Imported/);
    expect(() => circuits.attachTo(imported)).toThrow(/set CIRCUIT_BREAKER_TABLE on the function yourself and use grantCircuitAccess\(fn\)/);
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('grantCircuitAccess grants exactly GetItem and UpdateItem on the table', () => {
    // GIVEN
    const stack = newStack();
    const circuits = new CircuitBreakerTable(stack, 'Circuits');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // WHEN
    const grant = circuits.grantCircuitAccess(role);

    // THEN
    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    const tableArn = { 'Fn::GetAtt': [tableId(stack, circuits), 'Arn'] };
    expect(actionsOn(template, tableArn)).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    template.resourceCountIs('AWS::IAM::Policy', 1);
    expect(statementsOf(template, role)).toEqual([{
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      Resource: tableArn,
    }]);
  });

  test('grantCircuitAccess is what an imported function needs instead of attachTo', () => {
    // GIVEN an imported function whose role is known
    const stack = newStack();
    const circuits = new CircuitBreakerTable(stack, 'Circuits');
    const role = new iam.Role(stack, 'LegacyRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const imported = lambda.Function.fromFunctionAttributes(stack, 'Imported', { functionArn: IMPORTED_ARN, role, sameEnvironment: true });

    // WHEN
    const grant = circuits.grantCircuitAccess(imported);

    // THEN
    expect(grant.success).toBe(true);
    const tableArn = { 'Fn::GetAtt': [tableId(stack, circuits), 'Arn'] };
    expect(actionsOn(Template.fromStack(stack), tableArn)).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
  });

  test('metricCircuitOpened', () => {
    // GIVEN
    const stack = newStack();
    const circuits = new CircuitBreakerTable(stack, 'Circuits');
    const tableName = { Ref: tableId(stack, circuits) };

    // WHEN
    const all = circuits.metricCircuitOpened();
    const one = circuits.metricCircuitOpened({ circuitId: 'payments' });
    const custom = circuits.metricCircuitOpened({ circuitId: 'payments', period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, label: 'Payments opened' });

    // THEN every circuit of the table, sum over 5 minutes
    expect(all.namespace).toBe('CdkResilience/CircuitBreaker');
    expect(all.metricName).toBe('CircuitOpened');
    expect(stack.resolve(all.dimensions)).toEqual({ TableName: tableName });
    expect(all.statistic).toBe('Sum');
    expect(all.period.toSeconds()).toBe(300);
    // one circuit
    expect(one.namespace).toBe('CdkResilience/CircuitBreaker');
    expect(one.metricName).toBe('CircuitOpened');
    expect(stack.resolve(one.dimensions)).toEqual({ TableName: tableName, CircuitId: 'payments' });
    expect(one.statistic).toBe('Sum');
    // the other options pass through
    expect(stack.resolve(custom.dimensions)).toEqual({ TableName: tableName, CircuitId: 'payments' });
    expect(custom.period.toSeconds()).toBe(60);
    expect(custom.statistic).toBe('Maximum');
    expect(custom.label).toBe('Payments opened');
  });

  test('the table acknowledges the point-in-time recovery finding, with a reason', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const circuits = new CircuitBreakerTable(stack, 'Circuits');

    // THEN
    const acknowledgements = acknowledgementsOn(circuits.table);
    expect(Object.keys(acknowledgements).sort()).toEqual(['Annotation::AwsSolutions-DDB3']);
    for (const reason of Object.values(acknowledgements)) {
      expect(reason).toMatch(/disposable circuit state/);
    }
  });

  test('synthesizes with the AwsSolutions and Serverless checks, attached to a function', () => {
    // GIVEN an app that fails synth on any unacknowledged cdk-nag finding
    const app = newApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    const stack = new Stack(app, 'Nag');
    const circuits = new CircuitBreakerTable(stack, 'Circuits');
    const fn = new lambda.Function(stack, 'Fn', handlerProps);
    // These findings belong to the test's function (handlerProps), not to the
    // table: its managed basic-execution policy (AwsSolutions-IAM4), its
    // runtime (AwsSolutions-L1, Serverless-LambdaLatestVersion), its memory
    // size (Serverless-LambdaDefaultMemorySize), its missing dead-letter
    // queue (Serverless-LambdaDLQ) and tracing (Serverless-LambdaTracing).
    Validations.of(fn).acknowledge(
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: 'The test function only writes its own CloudWatch Logs.' },
      { id: 'AwsSolutions-L1', reason: 'The test function\'s runtime is not what is tested here.' },
      { id: 'Serverless-LambdaLatestVersion', reason: 'The test function\'s runtime is not what is tested here.' },
      { id: 'Serverless-LambdaDefaultMemorySize', reason: 'The test function\'s memory size is not what is tested here.' },
      { id: 'Serverless-LambdaDLQ', reason: 'The test function is never invoked asynchronously.' },
      { id: 'Serverless-LambdaTracing', reason: 'The test function\'s tracing is not what is tested here.' },
    );

    // WHEN
    circuits.attachTo(fn);

    // THEN the table and its grant raise no finding
    expect(() => app.synth()).not.toThrow();
  });

  test('the checks raise no finding on the table, and AwsSolutions-DDB3 is the id they use for a table without point-in-time recovery', () => {
    // What cdk-nag 3.0.2 actually checks: its point-in-time recovery rule
    // inspects AWS::DynamoDB::Table only, not the AWS::DynamoDB::GlobalTable
    // of a TableV2, and its Serverless pack has no DynamoDB rule at all (there
    // is no Serverless-DynamoDBPITREnabled). So the table's acknowledgement of
    // AwsSolutions-DDB3 suppresses nothing today: it is precautionary.

    // GIVEN a plain Table and a plain TableV2, neither with point-in-time recovery
    const app = newApp();
    const stack = new Stack(app, 'Nag');
    new dynamodb.Table(stack, 'PlainTable', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
    new dynamodb.TableV2(stack, 'PlainTableV2', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
    new CircuitBreakerTable(stack, 'Circuits');

    // WHEN
    const awsSolutions = new AwsSolutionsChecks(app).validateScope(stack).violations;
    const serverless = new ServerlessChecks(app).validateScope(stack).violations;

    // THEN the plain Table is reported under the acknowledged AwsSolutions id
    const ddb3 = awsSolutions.find(v => v.ruleName === 'AwsSolutions-DDB3');
    expect(ddb3?.violatingResources.map(r => r.constructPath)).toEqual(['Nag/PlainTable/Resource']);
    // the Serverless pack reports nothing on any table
    expect(serverless.map(v => v.ruleName)).toEqual([]);
    // and no finding at all is on a GlobalTable, plain or not
    const paths = [...awsSolutions, ...serverless].flatMap(v => v.violatingResources.map(r => r.constructPath ?? ''));
    expect(paths.filter(p => p.startsWith('Nag/PlainTableV2') || p.startsWith('Nag/Circuits'))).toEqual([]);
  });

  test('snapshot', () => {
    // GIVEN
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    const circuits = new CircuitBreakerTable(stack, 'Circuits', { alarmAction: new cw_actions.SnsAction(topic) });
    const fn = new lambda.Function(stack, 'Fn', handlerProps);

    // WHEN
    circuits.attachTo(fn);

    // THEN
    expect(maskAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});
