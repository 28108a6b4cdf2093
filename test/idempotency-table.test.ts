import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { IdempotencyTable, QueueDecoupledFunction, ResilienceChecks } from '../src';
import {
  acknowledgementsOn, actionsOn, handlerProps, logicalIdOf, maskAssetHashes, newApp, newStack, onlyLogicalId, statementsOf,
} from './helpers';
import { IDEMPOTENCY_TABLE_ENV } from '../src/runtime';

const IMPORTED_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:legacy';
/** What Powertools' DynamoDBPersistenceLayer calls on its table, in the order IAM sorts them. */
const POWERTOOLS_ACTIONS = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

describe('IdempotencyTable', () => {
  test('defaults', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const idempotency = new IdempotencyTable(stack, 'Idempotency');

    // THEN one table and nothing else
    const template = Template.fromStack(stack);
    expect(Object.keys(template.toJSON().Resources)).toHaveLength(1);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    const id = onlyLogicalId(template, 'AWS::DynamoDB::GlobalTable');
    expect(logicalIdOf(idempotency.table)).toBe(id);

    // on-demand, keyed by the idempotency key, records expire by Powertools' expiry attribute, disposable
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      Properties: {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
        TableName: Match.absent(),
        GlobalSecondaryIndexes: Match.absent(),
        LocalSecondaryIndexes: Match.absent(),
        StreamSpecification: Match.absent(),
      },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });

    expect(idempotency.table).toBeInstanceOf(dynamodb.TableV2);
    expect(stack.resolve(idempotency.table.tableName)).toEqual({ Ref: id });
  });

  test('tableName', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    new IdempotencyTable(stack, 'Idempotency', { tableName: 'orders-idempotency' });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'orders-idempotency',
    });
  });

  test('removalPolicy RETAIN keeps the table', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    new IdempotencyTable(stack, 'Idempotency', { removalPolicy: RemovalPolicy.RETAIN });

    // THEN
    Template.fromStack(stack).hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('attachTo a NodejsFunction tells it the table and grants exactly the four actions of Powertools on it', () => {
    // GIVEN the user's handler, bundled by esbuild
    const stack = newStack();
    const idempotency = new IdempotencyTable(stack, 'Idempotency');
    const fn = new nodejs.NodejsFunction(stack, 'Orders', {
      entry: path.join(__dirname, 'fixtures', 'handlers', 'batch.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      timeout: Duration.seconds(30),
      bundling: { minify: true, externalModules: ['@aws-sdk/*'] },
    });

    // WHEN
    const grant = idempotency.attachTo(fn);

    // THEN
    expect(grant).toBeInstanceOf(iam.Grant);
    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    const id = logicalIdOf(idempotency.table);
    const tableArn = { 'Fn::GetAtt': [id, 'Arn'] };
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { IDEMPOTENCY_TABLE: { Ref: id } } },
    });
    // nothing else on the table, from any policy
    expect(actionsOn(template, tableArn)).toEqual(POWERTOOLS_ACTIONS);
    // the whole policy of the function: one statement, the four actions, the table only (no index, no wildcard)
    template.resourceCountIs('AWS::IAM::Policy', 1);
    expect(statementsOf(template, fn.role!)).toEqual([{ Effect: 'Allow', Action: POWERTOOLS_ACTIONS, Resource: tableArn }]);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toMatch(/dynamodb:\*|"\*"|\/index\/|Scan|Query|Batch/);
  });

  test('attachTo the function of a QueueDecoupledFunction adds the table to what the construct granted it', () => {
    // GIVEN a queue consumer created by the construct
    const stack = newStack();
    const idempotency = new IdempotencyTable(stack, 'Idempotency');
    const orders = new QueueDecoupledFunction(stack, 'Orders', { functionProps: handlerProps });

    // WHEN
    idempotency.attachTo(orders.function);

    // THEN the function reads the table's name and may use it, and still consumes its queue
    const template = Template.fromStack(stack);
    const id = logicalIdOf(idempotency.table);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { IDEMPOTENCY_TABLE: { Ref: id } } },
    });
    const statements = statementsOf(template, (orders.function as lambda.Function).role!);
    expect(statements).toContainEqual({ Effect: 'Allow', Action: POWERTOOLS_ACTIONS, Resource: { 'Fn::GetAtt': [id, 'Arn'] } });
    expect(statements.some(s => [s.Action].flat().includes('sqs:ReceiveMessage'))).toBe(true);
    expect(actionsOn(template, { 'Fn::GetAtt': [id, 'Arn'] })).toEqual(POWERTOOLS_ACTIONS);
  });

  test('attachTo several functions gives each the table and the same four actions', () => {
    // GIVEN
    const stack = newStack();
    const idempotency = new IdempotencyTable(stack, 'Idempotency');
    const orders = new lambda.Function(stack, 'Orders', handlerProps);
    const payments = new lambda.Function(stack, 'Payments', handlerProps);

    // WHEN
    idempotency.attachTo(orders);
    idempotency.attachTo(payments);

    // THEN
    const template = Template.fromStack(stack);
    const id = logicalIdOf(idempotency.table);
    for (const fn of [orders, payments]) {
      expect(template.toJSON().Resources[logicalIdOf(fn)].Properties.Environment).toEqual({ Variables: { IDEMPOTENCY_TABLE: { Ref: id } } });
      expect(statementsOf(template, fn.role!)).toEqual([{ Effect: 'Allow', Action: POWERTOOLS_ACTIONS, Resource: { 'Fn::GetAtt': [id, 'Arn'] } }]);
    }
  });

  test.each([
    ['an imported function', (stack: Stack) => lambda.Function.fromFunctionArn(stack, 'Imported', IMPORTED_ARN), 'Test/Imported', 'Import'],
    ['an alias', (stack: Stack) => new lambda.Function(stack, 'Fn', handlerProps).addAlias('live'), 'Test/Fn/Aliaslive', 'Alias\\d*'],
    ['a version', (stack: Stack) => new lambda.Function(stack, 'Fn', handlerProps).currentVersion, 'Test/Fn/CurrentVersion', 'Version\\d*'],
  ])('fails if attachTo is given %s', (_name, build, fnPath, className) => {
    // GIVEN
    const stack = newStack();
    const idempotency = new IdempotencyTable(stack, 'Idempotency');
    const fn = build(stack);

    // WHEN / THEN the message names the function and says what to do instead
    expect(() => idempotency.attachTo(fn)).toThrow(new RegExp(
      `IdempotencyTable.attachTo needs a lambda\\.Function of this app .* whose environment and layers it can set, got ${fnPath} \\(${className}\\)`));
    expect(() => idempotency.attachTo(fn)).toThrow(/set IDEMPOTENCY_TABLE on the function yourself and use grantIdempotencyAccess\(fn\)/);
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('grantIdempotencyAccess is what an imported function needs instead of attachTo', () => {
    // GIVEN an imported function whose role is known
    const stack = newStack();
    const idempotency = new IdempotencyTable(stack, 'Idempotency');
    const role = new iam.Role(stack, 'LegacyRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const imported = lambda.Function.fromFunctionAttributes(stack, 'Imported', { functionArn: IMPORTED_ARN, role, sameEnvironment: true });

    // WHEN
    const grant = idempotency.grantIdempotencyAccess(imported);

    // THEN
    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    const tableArn = { 'Fn::GetAtt': [logicalIdOf(idempotency.table), 'Arn'] };
    expect(actionsOn(template, tableArn)).toEqual(POWERTOOLS_ACTIONS);
    expect(statementsOf(template, role)).toEqual([{ Effect: 'Allow', Action: POWERTOOLS_ACTIONS, Resource: tableArn }]);
  });

  test('the table acknowledges the point-in-time recovery finding, with a reason', () => {
    // GIVEN
    const stack = newStack();

    // WHEN
    const idempotency = new IdempotencyTable(stack, 'Idempotency');

    // THEN
    const acknowledgements = acknowledgementsOn(idempotency.table);
    expect(Object.keys(acknowledgements)).toEqual(['Annotation::AwsSolutions-DDB3']);
    expect(acknowledgements['Annotation::AwsSolutions-DDB3']).toMatch(/disposable idempotency records/);
  });

  test('synthesizes with the AwsSolutions, Serverless and Resilience checks, attached to a function', () => {
    // GIVEN an app that fails synth on any unacknowledged finding
    const app = newApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app), new ResilienceChecks(app));
    const stack = new Stack(app, 'Nag');
    const idempotency = new IdempotencyTable(stack, 'Idempotency');
    const fn = new lambda.Function(stack, 'Fn', handlerProps);
    // These findings belong to the test's function (handlerProps), not to the table.
    Validations.of(fn).acknowledge(
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: 'The test function only writes its own CloudWatch Logs.' },
      { id: 'AwsSolutions-L1', reason: 'The test function\'s runtime is not what is tested here.' },
      { id: 'Serverless-LambdaLatestVersion', reason: 'The test function\'s runtime is not what is tested here.' },
      { id: 'Serverless-LambdaDefaultMemorySize', reason: 'The test function\'s memory size is not what is tested here.' },
      { id: 'Serverless-LambdaDLQ', reason: 'The test function is never invoked asynchronously.' },
      { id: 'Serverless-LambdaTracing', reason: 'The test function\'s tracing is not what is tested here.' },
    );

    // WHEN
    idempotency.attachTo(fn);

    // THEN the table and its grant raise no finding
    expect(() => app.synth()).not.toThrow();
  });

  test('the constants a handler in any language reads', () => {
    // THEN: these values are API; a handler written with Powertools' defaults depends on each
    expect({
      TABLE_ENV: IdempotencyTable.TABLE_ENV,
      PARTITION_KEY: IdempotencyTable.PARTITION_KEY,
      TTL_ATTRIBUTE: IdempotencyTable.TTL_ATTRIBUTE,
      RUNTIME_ACTIONS: IdempotencyTable.RUNTIME_ACTIONS,
    }).toEqual({
      TABLE_ENV: 'IDEMPOTENCY_TABLE',
      PARTITION_KEY: 'id',
      TTL_ATTRIBUTE: 'expiration',
      RUNTIME_ACTIONS: POWERTOOLS_ACTIONS,
    });
    // AND: a TypeScript handler reads the variable's name from cdk-resilience/runtime
    expect(IDEMPOTENCY_TABLE_ENV).toBe(IdempotencyTable.TABLE_ENV);
    // AND: the array cannot be changed behind the grants' back
    expect(() => IdempotencyTable.RUNTIME_ACTIONS.push('dynamodb:*')).toThrow(TypeError);
  });

  test('snapshot', () => {
    // GIVEN
    const stack = newStack();
    const idempotency = new IdempotencyTable(stack, 'Idempotency');
    const orders = new QueueDecoupledFunction(stack, 'Orders', { functionProps: handlerProps });

    // WHEN
    idempotency.attachTo(orders.function);

    // THEN
    expect(maskAssetHashes(Template.fromStack(stack).toJSON())).toMatchSnapshot();
  });
});
