/**
 * The local tables of cdk-resilience/testing have the shape of the tables the
 * constructs synthesize: compared with the template, through the public API.
 */
import {
  CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException, UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { CircuitBreakerTable, IdempotencyTable } from '../../src';
import { createLocalCircuitBreakerTable, createLocalIdempotencyTable, LocalTable } from '../../src/testing';
import { LocalDynamoDb, startDynalite } from '../runtime/dynalite';

/** The key schema, key attribute types and TTL attribute of the only table of the construct's stack. */
function synthesized(create: (stack: Stack) => void) {
  const stack = new Stack();
  create(stack);
  const tables = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, any>).filter(r => r.Type.startsWith('AWS::DynamoDB::'));
  expect(tables).toHaveLength(1);
  const { KeySchema, AttributeDefinitions, TimeToLiveSpecification } = tables[0].Properties;
  return { KeySchema, AttributeDefinitions, TimeToLiveSpecification };
}

const constructs: [string, (stack: Stack) => void, (client: DynamoDBClient, name: string) => Promise<LocalTable>][] = [
  ['CircuitBreakerTable', stack => new CircuitBreakerTable(stack, 'Circuits'), createLocalCircuitBreakerTable],
  ['IdempotencyTable', stack => new IdempotencyTable(stack, 'Idempotency'), createLocalIdempotencyTable],
];

let db: LocalDynamoDb;

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(() => db.stop());

describe.each(constructs)('the local table of %s', (construct, create, createLocal) => {
  test('has the key schema and TTL attribute of the synthesized table (dynalite)', async () => {
    // GIVEN the construct's table, as synthesized
    const template = synthesized(create);
    // WHEN the local table is created in dynalite
    const table = await createLocal(db.client(), `${construct}-table`);
    // THEN dynalite describes the same key schema and key types
    const { Table } = await db.client().send(new DescribeTableCommand({ TableName: `${construct}-table` }));
    expect(Table?.KeySchema).toEqual(template.KeySchema);
    expect(Table?.AttributeDefinitions).toEqual(template.AttributeDefinitions);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    // and the TTL attribute is the template's (dynalite cannot turn TTL on)
    expect(table).toEqual({
      tableName: `${construct}-table`,
      partitionKey: template.KeySchema[0].AttributeName,
      timeToLiveAttribute: template.TimeToLiveSpecification.AttributeName,
      timeToLiveEnabled: false,
    });
    expect(template.TimeToLiveSpecification.Enabled).toBe(true);
  });

  test('turns TTL on, on the template\'s attribute, where the server can (DynamoDB Local)', async () => {
    // GIVEN a server that implements UpdateTimeToLive
    const template = synthesized(create);
    const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    const mock = mockClient(client);
    mock.on(CreateTableCommand).resolves({});
    mock.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'ACTIVE' } });
    mock.on(UpdateTimeToLiveCommand).resolves({});
    // WHEN
    const table = await createLocal(client, 'table');
    // THEN
    expect(mock.commandCalls(UpdateTimeToLiveCommand).map(c => c.args[0].input)).toEqual([{
      TableName: 'table', TimeToLiveSpecification: { AttributeName: template.TimeToLiveSpecification.AttributeName, Enabled: true },
    }]);
    expect(table.timeToLiveEnabled).toBe(true);
  });

  test('fails as the server does when the table exists', async () => {
    // GIVEN
    await createLocal(db.client(), `${construct}-twice`);
    // WHEN / THEN
    await expect(createLocal(db.client(), `${construct}-twice`)).rejects.toBeInstanceOf(ResourceInUseException);
  });
});
