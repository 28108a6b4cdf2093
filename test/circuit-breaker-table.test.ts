import * as fs from 'fs';
import * as path from 'path';
import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { CircuitBreakerTable } from '../src';
import {
  acknowledgementsOn, actionsOn, handlerProps, logicalIdOf, maskAssetHashes, newApp, newStack, onlyLogicalId, onlyProperties, propertiesOf,
  statementsOf,
} from './helpers';
import { startDynalite } from './runtime/dynalite';
import { CircuitBreaker } from '../src/runtime';
import { circuitChangeLine } from '../src/runtime/circuit-metrics';

const IMPORTED_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:legacy';

/** The TSDoc of the class `CircuitBreakerTable`, without its comment markers: the description API.md shows. */
function classDoc(): string {
  const source = fs.readFileSync(path.join(__dirname, '..', 'src', 'circuit-breaker-table.ts'), 'utf8');
  const comment = source.match(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export class CircuitBreakerTable\b/);
  expect(comment).not.toBeNull();
  return comment![1].replace(/^[ \t]*\* ?/gm, '');
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
    expect(propertiesOf(stack, circuits.circuitOpenedAlarm)).toMatchObject({ MetricName: 'CircuitOpened', Threshold: 1 });
    expect(propertiesOf(stack, circuits.circuitOpenedAlarm).AlarmActions).toBeUndefined();
    const id = onlyLogicalId(template, 'AWS::DynamoDB::GlobalTable');
    expect(logicalIdOf(circuits.table)).toBe(id);

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
      Dimensions: [{ Name: 'TableName', Value: { Ref: logicalIdOf(circuits.table) } }],
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
    expect(circuits.circuitOpenedAlarm).toBeInstanceOf(cloudwatch.Alarm);
    expect(stack.resolve(circuits.circuitOpenedAlarm.alarmArn)).toEqual({ 'Fn::GetAtt': [onlyLogicalId(template, 'AWS::CloudWatch::Alarm'), 'Arn'] });
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
    const id = logicalIdOf(circuits.table);
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
    const id = logicalIdOf(circuits.table);
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
    const tableArn = { 'Fn::GetAtt': [logicalIdOf(circuits.table), 'Arn'] };
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
    const tableArn = { 'Fn::GetAtt': [logicalIdOf(circuits.table), 'Arn'] };
    expect(actionsOn(Template.fromStack(stack), tableArn)).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
  });

  test('metricCircuitOpened', () => {
    // GIVEN
    const stack = newStack();
    const circuits = new CircuitBreakerTable(stack, 'Circuits');
    const tableName = { Ref: logicalIdOf(circuits.table) };

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

  describe('the contract with handlers in every language', () => {
    test('the constants, as a handler in Python, Java, .NET or Go reads them', () => {
      // THEN: these values are API; a handler written without the TypeScript runtime depends on each
      expect({
        TABLE_ENV: CircuitBreakerTable.TABLE_ENV,
        PARTITION_KEY: CircuitBreakerTable.PARTITION_KEY,
        TTL_ATTRIBUTE: CircuitBreakerTable.TTL_ATTRIBUTE,
        METRICS_NAMESPACE: CircuitBreakerTable.METRICS_NAMESPACE,
        CIRCUIT_OPENED_METRIC: CircuitBreakerTable.CIRCUIT_OPENED_METRIC,
        CIRCUIT_HALF_OPENED_METRIC: CircuitBreakerTable.CIRCUIT_HALF_OPENED_METRIC,
        CIRCUIT_CLOSED_METRIC: CircuitBreakerTable.CIRCUIT_CLOSED_METRIC,
        TABLE_NAME_DIMENSION: CircuitBreakerTable.TABLE_NAME_DIMENSION,
        CIRCUIT_ID_DIMENSION: CircuitBreakerTable.CIRCUIT_ID_DIMENSION,
        RUNTIME_ACTIONS: CircuitBreakerTable.RUNTIME_ACTIONS,
      }).toEqual({
        TABLE_ENV: 'CIRCUIT_BREAKER_TABLE',
        PARTITION_KEY: 'id',
        TTL_ATTRIBUTE: 'expiresAt',
        METRICS_NAMESPACE: 'CdkResilience/CircuitBreaker',
        CIRCUIT_OPENED_METRIC: 'CircuitOpened',
        CIRCUIT_HALF_OPENED_METRIC: 'CircuitHalfOpened',
        CIRCUIT_CLOSED_METRIC: 'CircuitClosed',
        TABLE_NAME_DIMENSION: 'TableName',
        CIRCUIT_ID_DIMENSION: 'CircuitId',
        RUNTIME_ACTIONS: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      });
      // AND: the array cannot be changed behind the grants' back
      expect(() => CircuitBreakerTable.RUNTIME_ACTIONS.push('dynamodb:*')).toThrow(TypeError);
    });

    test('the table, the function and the alarm the construct synthesizes are what the runtime CircuitBreaker uses', async () => {
      // GIVEN: the construct's table, a function attached to it, and its alarm, as CloudFormation describes them
      const stack = newStack();
      const circuits = new CircuitBreakerTable(stack, 'Circuits');
      circuits.attachTo(new lambda.Function(stack, 'Fn', handlerProps));
      const template = Template.fromStack(stack);
      const table = onlyProperties(template, 'AWS::DynamoDB::GlobalTable');
      const variables = Object.keys(onlyProperties(template, 'AWS::Lambda::Function').Environment.Variables);
      const granted = actionsOn(template, { 'Fn::GetAtt': [logicalIdOf(circuits.table), 'Arn'] });
      const alarm = onlyProperties(template, 'AWS::CloudWatch::Alarm');
      // AND: a DynamoDB-API server with a table of that key schema
      const db = await startDynalite();
      const saved = process.env[variables[0]];
      try {
        await db.client().send(new CreateTableCommand({
          TableName: 'contract', KeySchema: table.KeySchema, AttributeDefinitions: table.AttributeDefinitions, BillingMode: 'PAY_PER_REQUEST',
        }));
        const client = db.client();
        const send = jest.spyOn(client, 'send');
        const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
        // AND: a clock the test moves (the runtime compares Date.now() with what it wrote), so that a loaded machine cannot
        // end the window or the open timeout between two steps
        let now = Date.now();
        jest.spyOn(Date, 'now').mockImplementation(() => now);

        // WHEN: the runtime, told its table by the function's environment, takes a circuit through
        // every write: a new item, a count, a new window, open, probe, reopen, probe, close
        process.env[variables[0]] = 'contract';
        const cb = new CircuitBreaker({
          circuitId: 'payments', client, failureThreshold: 2, successThreshold: 1, windowDuration: 1_000, openTimeout: 100, maxOpenTimeout: 200, stateCacheTtl: 0,
        });
        const keyName = table.KeySchema[0].AttributeName;
        const reader = db.client();
        const read = async () => (await reader.send(new GetItemCommand({ TableName: 'contract', Key: { [keyName]: { S: 'payments' } }, ConsistentRead: true }))).Item!;
        const fail = () => Promise.reject(new Error('downstream failed'));
        await expect(cb.fire(fail)).rejects.toThrow('downstream failed');
        now += 1_100;
        await expect(cb.fire(fail)).rejects.toThrow('downstream failed');
        await expect(cb.fire(fail)).rejects.toThrow('downstream failed');
        for (const probe of [fail, async () => 'ok']) {
          expect(await cb.state()).toBe('OPEN');
          now = Number((await read()).openUntil.N) + 20;
          await cb.fire(probe).catch(() => undefined);
        }
        expect(await cb.state()).toBe('CLOSED');
        const item = await read();

        // THEN: the key, the TTL and the environment variable are the constants
        expect(table.KeySchema).toEqual([{ AttributeName: CircuitBreakerTable.PARTITION_KEY, KeyType: 'HASH' }]);
        expect(item[CircuitBreakerTable.PARTITION_KEY]).toEqual({ S: 'payments' });
        expect(table.TimeToLiveSpecification).toEqual({ AttributeName: CircuitBreakerTable.TTL_ATTRIBUTE, Enabled: true });
        expect(Number(item[CircuitBreakerTable.TTL_ATTRIBUTE].N)).toBeGreaterThan(Date.now() / 1000);
        expect(variables).toEqual([CircuitBreakerTable.TABLE_ENV]);

        // AND: the runtime made no request that the grant and RUNTIME_ACTIONS do not name
        const requested = [...new Set(send.mock.calls.map(c => `dynamodb:${c[0].constructor.name.replace(/Command$/, '')}`))].sort();
        expect(requested).toEqual(CircuitBreakerTable.RUNTIME_ACTIONS);
        expect(granted).toEqual(CircuitBreakerTable.RUNTIME_ACTIONS);

        // AND: its metric lines are in the namespace, with the names and dimensions of the constants, and the alarm watches one of them
        const lines = log.mock.calls.map(args => JSON.parse(String(args[0])));
        expect(lines.map(line => line.message)).toEqual([
          'circuit payments: CLOSED -> OPEN', 'circuit payments: OPEN -> HALF_OPEN', 'circuit payments: HALF_OPEN -> OPEN',
          'circuit payments: OPEN -> HALF_OPEN', 'circuit payments: HALF_OPEN -> CLOSED',
        ]);
        const { CIRCUIT_OPENED_METRIC: OPENED, CIRCUIT_HALF_OPENED_METRIC: HALF_OPENED, CIRCUIT_CLOSED_METRIC: CLOSED } = CircuitBreakerTable;
        expect(lines.map(line => line._aws.CloudWatchMetrics[0].Metrics[0].Name)).toEqual([OPENED, HALF_OPENED, OPENED, HALF_OPENED, CLOSED]);
        for (const line of lines) {
          const [metric] = line._aws.CloudWatchMetrics;
          expect(metric.Namespace).toBe(CircuitBreakerTable.METRICS_NAMESPACE);
          const { TABLE_NAME_DIMENSION, CIRCUIT_ID_DIMENSION } = CircuitBreakerTable;
          expect(metric.Dimensions).toEqual([[TABLE_NAME_DIMENSION], [TABLE_NAME_DIMENSION, CIRCUIT_ID_DIMENSION]]);
          expect(line[CircuitBreakerTable.TABLE_NAME_DIMENSION]).toBe('contract');
          expect(line[CircuitBreakerTable.CIRCUIT_ID_DIMENSION]).toBe('payments');
          expect(line[metric.Metrics[0].Name]).toBe(1);
        }
        expect(alarm).toMatchObject({
          Namespace: CircuitBreakerTable.METRICS_NAMESPACE,
          MetricName: CircuitBreakerTable.CIRCUIT_OPENED_METRIC,
          Dimensions: [{ Name: CircuitBreakerTable.TABLE_NAME_DIMENSION, Value: expect.anything() }],
        });

        // AND: the class documents every attribute of the item, with its type, and no other
        const documented = [...classDoc().matchAll(/^- `(\w+)` \((S|N)\):/gm)].map(([, name, type]) => `${name} ${type}`).sort();
        expect(documented).toEqual(Object.entries(item).map(([name, value]) => `${name} ${Object.keys(value)[0]}`).sort());
      } finally {
        jest.restoreAllMocks();
        if (saved === undefined) delete process.env[variables[0]];
        else process.env[variables[0]] = saved;
        await db.stop();
      }
    });

    test('the metric line the class documents is the line the runtime writes', () => {
      // GIVEN the example of the class's TSDoc
      const example = classDoc().match(/^`(\{"_aws".*\})`$/m);
      expect(example).not.toBeNull();
      // WHEN / THEN
      expect(JSON.parse(example![1])).toEqual(JSON.parse(circuitChangeLine({
        tableName: 'my-table', circuitId: 'payments', from: 'CLOSED', to: 'OPEN', now: 1700000000000,
      })));
    });
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
