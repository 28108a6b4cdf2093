import { execFile } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { promisify } from 'util';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IdempotencyTable } from '../../src';
import { actionsOn, handlerProps, logicalIdOf, newStack, onlyProperties, readmeFile, sqsRecord } from '../helpers';
import { LocalDynamoDb, startDynalite } from './dynalite';

/**
 * Powertools for AWS Lambda's idempotency utility, as a handler uses it,
 * against dynalite with the table that `IdempotencyTable` synthesizes: its
 * key schema, its TTL attribute, and the environment variable `attachTo` sets
 * are read from the template, not restated here. Nothing is mocked; the clock
 * is moved forward (Powertools reads `Date.now()`, and sends it to DynamoDB in
 * its conditions) where a test is about expiry. dynalite does not delete
 * items by TTL: Powertools checks the expiry of a record itself.
 */

const ROOT = path.join(__dirname, '..', '..');
const FUNCTION_NAME = 'orders';
const TABLE = 'idempotency';

/** What the construct synthesizes: the table, the variable the function gets, and what it is granted. */
function synthesized() {
  const stack = newStack();
  const idempotency = new IdempotencyTable(stack, 'Idempotency');
  idempotency.attachTo(new lambda.Function(stack, 'Orders', handlerProps));
  const template = Template.fromStack(stack);
  return {
    table: onlyProperties(template, 'AWS::DynamoDB::GlobalTable'),
    variables: onlyProperties(template, 'AWS::Lambda::Function').Environment.Variables as Record<string, unknown>,
    granted: actionsOn(template, { 'Fn::GetAtt': [logicalIdOf(idempotency.table), 'Arn'] }),
  };
}

/** A Lambda context whose invocation has `remainingMs` left. */
function contextWith(remainingMs: number) {
  return { functionName: FUNCTION_NAME, awsRequestId: 'r-1', getRemainingTimeInMillis: () => remainingMs } as any;
}

/** An HTTP proxy in front of `endpoint` that counts the DynamoDB operations it forwards (by their X-Amz-Target). */
async function countingProxy(endpoint: string) {
  const counts: Record<string, number> = {};
  const target = new URL(endpoint);
  const server = http.createServer((req, res) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop()!;
    counts[operation] = (counts[operation] ?? 0) + 1;
    const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, answer => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    stop: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms until it holds, for at most `timeout` ms of real time (as long as a loaded machine may need). */
async function until(condition: () => boolean, timeout = 30_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition() && Date.now() < deadline) await sleep(10);
}

describe('IdempotencyTable with Powertools idempotency, against dynalite', () => {
  const schema = synthesized();
  let db: LocalDynamoDb;
  let client: DynamoDBClient;
  let documents: DynamoDBDocumentClient;
  /** Every DynamoDB action Powertools requested, over all the tests. */
  const requested = new Set<string>();
  const savedFunctionName = process.env.AWS_LAMBDA_FUNCTION_NAME;

  beforeAll(async () => {
    db = await startDynalite();
    // the table as the template describes it
    await db.client().send(new CreateTableCommand({
      TableName: TABLE,
      KeySchema: schema.table.KeySchema,
      AttributeDefinitions: schema.table.AttributeDefinitions,
      BillingMode: schema.table.BillingMode,
    }));
    client = db.client();
    const send = client.send.bind(client);
    jest.spyOn(client, 'send').mockImplementation(((command: any, ...rest: any[]) => {
      requested.add(`dynamodb:${command.constructor.name.replace(/Command$/, '')}`);
      return (send as any)(command, ...rest);
    }) as any);
    documents = DynamoDBDocumentClient.from(db.client());
    // Powertools prefixes every idempotency key with the function's name, as Lambda sets it.
    process.env.AWS_LAMBDA_FUNCTION_NAME = FUNCTION_NAME;
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    if (savedFunctionName === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    else process.env.AWS_LAMBDA_FUNCTION_NAME = savedFunctionName;
    await db?.stop();
  });

  afterEach(() => {
    // only the clock: the client's spy stays
    (Date.now as any).mockRestore?.();
  });

  /** A persistence layer as the README's handler builds it: only the table's name, from the variable `attachTo` sets. */
  function persistenceStore(): DynamoDBPersistenceLayer {
    const env = { [IdempotencyTable.TABLE_ENV]: TABLE };
    expect(Object.keys(schema.variables)).toEqual(Object.keys(env));
    return new DynamoDBPersistenceLayer({ tableName: env[Object.keys(schema.variables)[0]], awsSdkV3Client: client });
  }

  /** A handler that counts its executions, made idempotent by the order id in the message body. */
  function orderHandler(options: { expiresAfterSeconds?: number; work?: () => Promise<void> } = {}) {
    const executions: string[] = [];
    const config = new IdempotencyConfig({ eventKeyJmesPath: 'powertools_json(body).orderId', expiresAfterSeconds: options.expiresAfterSeconds });
    const handler = makeIdempotent(async (event: { body: string }, _context: unknown) => {
      const { orderId } = JSON.parse(event.body);
      executions.push(orderId);
      await options.work?.();
      return { orderId, execution: executions.length };
    }, { persistenceStore: persistenceStore(), config });
    return { handler, executions };
  }

  function recordOf(orderId: string, functionName = FUNCTION_NAME) {
    // The id Powertools gives a record: the function's name, '#', and the base64 MD5 of the key's JSON (what the README tells operators).
    const id = `${functionName}#${createHash('md5').update(JSON.stringify(orderId)).digest('base64')}`;
    const key = { [IdempotencyTable.PARTITION_KEY]: id };
    return { key, read: async () => (await documents.send(new GetCommand({ TableName: TABLE, Key: key, ConsistentRead: true }))).Item };
  }

  test('a repeated event executes the handler once and returns the stored result', async () => {
    // GIVEN
    const { handler, executions } = orderHandler();
    const event = { body: JSON.stringify({ orderId: 'o-1', total: 3 }) };

    // WHEN the same event arrives three times (a redelivery, a retry, a duplicate send)
    const before = Date.now();
    const first = await handler(event, contextWith(30_000));
    const second = await handler(event, contextWith(30_000));
    const third = await handler({ body: JSON.stringify({ total: 3, orderId: 'o-1' }) }, contextWith(30_000));

    // THEN it ran once, and the repeats got the stored result
    expect(executions).toEqual(['o-1']);
    expect(first).toEqual({ orderId: 'o-1', execution: 1 });
    expect(second).toEqual(first);
    expect(third).toEqual(first);

    // AND the record is keyed and expires as the table says: the key is the table's, the TTL attribute holds epoch
    // seconds one hour (Powertools' default) ahead, and DynamoDB would delete it then
    const item = (await recordOf('o-1').read())!;
    expect(schema.table.KeySchema).toEqual([{ AttributeName: IdempotencyTable.PARTITION_KEY, KeyType: 'HASH' }]);
    expect(schema.table.TimeToLiveSpecification).toEqual({ AttributeName: IdempotencyTable.TTL_ATTRIBUTE, Enabled: true });
    expect(Object.keys(item).sort()).toEqual([IdempotencyTable.PARTITION_KEY, 'data', IdempotencyTable.TTL_ATTRIBUTE, 'in_progress_expiration', 'status'].sort());
    expect(item.status).toBe('COMPLETED');
    expect(item.data).toEqual(first);
    expect(item[IdempotencyTable.TTL_ATTRIBUTE]).toBeGreaterThanOrEqual(Math.floor(before / 1000) + 3600);
    expect(item[IdempotencyTable.TTL_ATTRIBUTE]).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 3600);
  });

  test('concurrent identical events execute the handler once: the others get Powertools\' in-progress error', async () => {
    // GIVEN a handler that holds its invocation open until the test lets it finish
    let release!: () => void;
    const gate = new Promise<void>(resolve => { release = resolve; });
    const { handler, executions } = orderHandler({ work: () => gate });
    const event = { body: JSON.stringify({ orderId: 'o-2' }) };

    // WHEN 8 environments receive the same event at once
    const outcomes: Array<{ result?: unknown; error?: Error }> = [];
    const runs = Array.from({ length: 8 }, () => handler(event, contextWith(30_000))
      .then(result => { outcomes.push({ result }); }, error => { outcomes.push({ error }); }));
    await until(() => outcomes.length >= 7);

    // THEN while one executes, the 7 others are refused at once, none of them executing
    expect(outcomes).toHaveLength(7);
    expect(outcomes.map(o => o.error?.name)).toEqual(Array(7).fill('IdempotencyAlreadyInProgressError'));
    expect(executions).toEqual(['o-2']);
    const inProgress = (await recordOf('o-2').read())!;
    expect(inProgress.status).toBe('INPROGRESS');

    // AND once it finishes, its result is stored and a retry of any of the others gets it
    release();
    await Promise.all(runs);
    expect(outcomes[7]).toEqual({ result: { orderId: 'o-2', execution: 1 } });
    expect(await handler(event, contextWith(30_000))).toEqual({ orderId: 'o-2', execution: 1 });
    expect(executions).toEqual(['o-2']);
  });

  test('an expired record executes the handler again: Powertools checks the expiry, the default is one hour', async () => {
    // GIVEN an event handled now
    const { handler, executions } = orderHandler();
    const event = { body: JSON.stringify({ orderId: 'o-3' }) };
    const start = Date.now();
    await handler(event, contextWith(30_000));
    const now = jest.spyOn(Date, 'now');

    // WHEN it comes again just before the hour is over, THEN the stored result
    now.mockReturnValue(start + 3_598_000);
    expect(await handler(event, contextWith(30_000))).toEqual({ orderId: 'o-3', execution: 1 });

    // WHEN it comes again after the hour (dynalite has not deleted the record: TTL is DynamoDB's), THEN it executes again
    now.mockReturnValue(start + 3_602_000);
    expect(await handler(event, contextWith(30_000))).toEqual({ orderId: 'o-3', execution: 2 });
    expect(executions).toEqual(['o-3', 'o-3']);
    expect((await recordOf('o-3').read())![IdempotencyTable.TTL_ATTRIBUTE]).toBeGreaterThanOrEqual(Math.floor((start + 3_602_000) / 1000) + 3600);
  });

  test('a short expiresAfterSeconds expires on the real clock', async () => {
    // GIVEN a window of 3 s (stored in whole seconds: at least 2 s for the repeat, however loaded the machine)
    const { handler, executions } = orderHandler({ expiresAfterSeconds: 3 });
    const event = { body: JSON.stringify({ orderId: 'o-4' }) };
    const start = Date.now();
    await handler(event, contextWith(30_000));
    const stored = Date.now();
    const expiry = (await recordOf('o-4').read())![IdempotencyTable.TTL_ATTRIBUTE] as number;
    expect(expiry).toBeGreaterThanOrEqual(Math.floor(start / 1000) + 3);
    expect(expiry).toBeLessThanOrEqual(Math.ceil(stored / 1000) + 3);
    expect(await handler(event, contextWith(30_000))).toEqual({ orderId: 'o-4', execution: 1 });

    // WHEN the window is over: past the stored expiry (epoch seconds) on the real clock
    await sleep(expiry * 1000 - Date.now() + 600);

    // THEN
    expect(await handler(event, contextWith(30_000))).toEqual({ orderId: 'o-4', execution: 2 });
    expect(executions).toEqual(['o-4', 'o-4']);
  });

  test('a handler that fails releases its record, so the retry executes again', async () => {
    // GIVEN a handler whose first execution fails
    let failures = 1;
    const { handler, executions } = orderHandler({ work: async () => { if (failures-- > 0) throw new Error('payments API answered 503'); } });
    const event = { body: JSON.stringify({ orderId: 'o-5' }) };

    // WHEN / THEN the failure reaches the caller (so the queue retries), and leaves no record
    await expect(handler(event, contextWith(30_000))).rejects.toThrow('payments API answered 503');
    expect(await recordOf('o-5').read()).toBeUndefined();
    // AND the retry executes
    expect(await handler(event, contextWith(30_000))).toEqual({ orderId: 'o-5', execution: 2 });
    expect(executions).toEqual(['o-5', 'o-5']);
  });

  test('a record left in progress by a crashed invocation blocks its event until the invocation\'s timeout is over', async () => {
    // GIVEN an invocation with 10 s left that never finishes (as if it crashed or timed out)
    let crash!: (error: Error) => void;
    const hung = new Promise<void>((_resolve, reject) => { crash = reject; });
    const { handler, executions } = orderHandler({ work: () => hung });
    const event = { body: JSON.stringify({ orderId: 'o-6' }) };
    const crashed = handler(event, contextWith(10_000)).catch(() => undefined);
    await until(() => executions.length > 0);
    const start = Date.now();
    const retry = orderHandler();

    // WHEN a retry comes before the 10 s are over, THEN it is refused as in progress
    await expect(retry.handler(event, contextWith(30_000))).rejects.toMatchObject({ name: 'IdempotencyAlreadyInProgressError' });
    // WHEN it comes after them, THEN it executes
    jest.spyOn(Date, 'now').mockReturnValue(start + 11_000);
    expect(await retry.handler(event, contextWith(30_000))).toEqual({ orderId: 'o-6', execution: 1 });
    expect(retry.executions).toEqual(['o-6']);
    (Date.now as any).mockRestore();
    // (the hung invocation is ended for the test's sake: its failure deletes the record)
    crash(new Error('timed out'));
    await crashed;
  });

  test('deleting a record re-runs its event: the id the README tells operators to compute is the record\'s', async () => {
    // GIVEN an event handled once
    const { handler, executions } = orderHandler();
    const event = { body: JSON.stringify({ orderId: 'o-7' }) };
    await handler(event, contextWith(30_000));

    // WHEN an operator deletes its record by the id
    const record = recordOf('o-7');
    expect(await record.read()).toBeDefined();
    await documents.send(new DeleteCommand({ TableName: TABLE, Key: record.key }));

    // THEN the event executes again
    expect(await handler(event, contextWith(30_000))).toEqual({ orderId: 'o-7', execution: 2 });
    expect(executions).toEqual(['o-7', 'o-7']);
  });

  test('the README\'s handler, told its table by the variable attachTo sets, runs an order once per id', async () => {
    // GIVEN the handler from the README, where Node.js resolves the project's packages (in a folder of its own)
    const cache = path.join(ROOT, 'node_modules', '.cache');
    fs.mkdirSync(cache, { recursive: true });
    const dir = fs.mkdtempSync(path.join(cache, 'readme-idempotency-'));
    try {
      fs.writeFileSync(path.join(dir, 'idempotent-orders.mjs'), readmeFile('idempotent-orders.mjs'));
      const [variable] = Object.keys(schema.variables);
      // WHEN Lambda would invoke it: a batch with the same order twice (two sends) and another order, then the
      // redelivery of what it reported, in one environment whose DynamoDB endpoint is dynalite (through a proxy that counts)
      const proxy = await countingProxy(db.endpoint);
      const batches = [
        { Records: [sqsRecord('m-1', '{"orderId":"r-1"}'), sqsRecord('m-2', '{"orderId":"r-1"}'), sqsRecord('m-3', '{"orderId":"r-2"}')] },
        { Records: [sqsRecord('m-2', '{"orderId":"r-1"}')] },
      ];
      let out: string;
      try {
        // (asynchronously: dynalite answers from this process)
        out = (await promisify(execFile)(process.execPath, ['--input-type=module', '-e', `
          const { handler } = await import(${JSON.stringify(path.join(dir, 'idempotent-orders.mjs'))});
          const context = { functionName: ${JSON.stringify(FUNCTION_NAME)}, awsRequestId: 'r-1', getRemainingTimeInMillis: () => 30000 };
          const results = [];
          for (const batch of ${JSON.stringify(batches)}) results.push(await handler(batch, context));
          process.stdout.write(JSON.stringify(results));
        `], {
          encoding: 'utf8',
          env: {
            ...process.env,
            [variable]: TABLE,
            AWS_LAMBDA_FUNCTION_NAME: 'readme-orders',
            POWERTOOLS_DEV: 'false',
            AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'local',
            AWS_SECRET_ACCESS_KEY: 'local',
          },
        })).stdout;
      } finally {
        await proxy.stop();
      }

      // THEN each order ran once: Powertools completes a record (UpdateItem) once per execution, and claimed 3 (PutItem)
      // for the first batch and 1 for the redelivery
      expect(proxy.counts.UpdateItem).toBe(2);
      expect(proxy.counts.PutItem).toBe(4);
      expect(proxy.counts.DeleteItem).toBeUndefined();
      // AND the duplicate in the batch either came while the first ran (in progress: reported, so it comes back) or
      // after it (the stored result); redelivered, it gets the stored result
      const [first, second] = JSON.parse(out);
      expect([[], [{ itemIdentifier: 'm-2' }]]).toContainEqual(first.batchItemFailures);
      expect(second).toEqual({ batchItemFailures: [] });
      await Promise.all(['r-1', 'r-2'].map(async orderId => {
        expect(await recordOf(orderId, 'readme-orders').read()).toMatchObject({ status: 'COMPLETED', data: { orderId, status: 'PROCESSED' } });
      }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Powertools requested exactly the actions the construct grants', () => {
    // (runs after the tests above, which claim, read, complete and release records). Powertools reads a record
    // with GetItem when a failed claim does not return the record it found: dynalite 4 ignores
    // ReturnValuesOnConditionCheckFailure, so here every refused claim reads; against DynamoDB only some would.
    expect([...requested].sort()).toEqual(IdempotencyTable.RUNTIME_ACTIONS);
    expect(schema.granted).toEqual(IdempotencyTable.RUNTIME_ACTIONS);
  });
});
