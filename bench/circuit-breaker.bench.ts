/**
 * Circuit breaker benchmark: our runtime `CircuitBreaker` against the
 * published anchor `circuitbreaker-lambda@0.0.1`, on the same dynalite server
 * (a DynamoDB-API server on 127.0.0.1) and the same workload:
 * 50 concurrent environments, 1,000 calls to a healthy downstream, then 1,000
 * calls to a failing one.
 *
 * The anchor requires the AWS SDK v2 (`aws-sdk`), which it does not declare.
 * Rather than install that deprecated SDK, `require('aws-sdk')` is answered
 * by a small DocumentClient (get and update) that sends the very same
 * GetItem and UpdateItem requests through the SDK v3; the anchor's own code
 * runs unchanged.
 *
 * Usage: npm run bench
 */
import * as os from 'os';
import { AttributeValue, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { median, ratio } from './stats';
import { CircuitBreaker } from '../src/runtime';
import { startDynalite } from '../test/runtime/dynalite';

const ENVIRONMENTS = 50;
const CALLS_PER_PHASE = 1_000;
const CALLS_PER_ENVIRONMENT = CALLS_PER_PHASE / ENVIRONMENTS;
const FAILURE_THRESHOLD = 5;

interface Counts { reads: number; writes: number }
interface PhaseResult {
  readonly reads: number;
  readonly writes: number;
  readonly medianMs: number;
  readonly opens: number;
  readonly duplicated: number;
  readonly lost: number;
}

/** Counts the GetItem and UpdateItem requests a client sends. */
function counting(client: DynamoDBClient, counts: Counts): DynamoDBClient {
  const send = client.send.bind(client);
  (client as any).send = (command: any, ...rest: any[]) => {
    if (command instanceof GetItemCommand) counts.reads++;
    if (command instanceof UpdateItemCommand) counts.writes++;
    return (send as any)(command, ...rest);
  };
  return client;
}

/** Runs `calls` sequential calls in each of the environments, all environments at once; returns each call's duration. */
async function workload(environments: Array<() => Promise<unknown>>): Promise<number[]> {
  const durations: number[] = [];
  await Promise.all(environments.map(async (call) => {
    for (let i = 0; i < CALLS_PER_ENVIRONMENT; i++) {
      const start = process.hrtime.bigint();
      try {
        await call();
      } catch {
        // refused or failed: counted by the caller
      }
      durations.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }));
  return durations;
}

/** Captures console.log lines while `fn` runs. */
async function capturingLogs<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => { lines.push(args.map(String).join(' ')); };
  try {
    return { result: await fn(), lines };
  } finally {
    console.log = log;
  }
}

const healthy = async () => 'ok';
const failing = async () => { throw new Error('downstream failed'); };

async function benchOurs(endpointClient: () => DynamoDBClient, table: string): Promise<PhaseResult[]> {
  const counts: Counts = { reads: 0, writes: 0 };
  const breakers = Array.from({ length: ENVIRONMENTS }, () => new CircuitBreaker({
    circuitId: 'payments-api',
    tableName: table,
    failureThreshold: FAILURE_THRESHOLD,
    client: counting(endpointClient(), counts),
  }));
  const results: PhaseResult[] = [];
  let emitted = 0;
  for (const downstream of [healthy, failing]) {
    counts.reads = 0;
    counts.writes = 0;
    const { result: durations, lines } = await capturingLogs(() => workload(breakers.map(b => () => b.fire(downstream))));
    const opens = lines.filter(l => l.includes('CLOSED -> OPEN')).length;
    emitted += lines.filter(l => l.includes('"CloudWatchMetrics"')).length;
    const { Item } = await endpointClient().send(new GetItemCommand({ TableName: table, Key: { id: { S: 'payments-api' } }, ConsistentRead: true }));
    // Every transition writes version + 1 and emits one line: the two agree unless a transition was lost or duplicated.
    const version = Number(Item?.version?.N ?? 0);
    const expectedOpens = downstream === failing ? 1 : 0;
    const openAtEnd = Item?.state?.S === 'OPEN' ? 1 : 0;
    results.push({
      reads: counts.reads,
      writes: counts.writes,
      medianMs: median(durations),
      opens,
      duplicated: Math.max(0, opens - expectedOpens) + Math.max(0, emitted - version),
      lost: Math.max(0, expectedOpens - openAtEnd) + Math.max(0, version - emitted),
    });
  }
  return results;
}

/** A stand-in for the SDK v2 DocumentClient (get, update) that sends the same requests through the SDK v3. */
function documentClientShim(client: DynamoDBClient, counts: Counts, storedStates: string[]) {
  const marshall = (value: unknown): AttributeValue => typeof value === 'number' ? { N: String(value) } : { S: String(value) };
  const marshallMap = (map: Record<string, unknown> = {}) => Object.fromEntries(Object.entries(map).map(([k, v]) => [k, marshall(v)]));
  const unmarshall = (value: AttributeValue) => value.N !== undefined ? Number(value.N) : value.S;
  const unmarshallMap = (map: Record<string, AttributeValue> = {}) => Object.fromEntries(Object.entries(map).map(([k, v]) => [k, unmarshall(v)]));
  class DocumentClient {
    get(params: any) {
      return {
        promise: async () => {
          counts.reads++;
          const { Item } = await client.send(new GetItemCommand({ TableName: params.TableName, Key: marshallMap(params.Key) }));
          return { Item: Item ? unmarshallMap(Item) : undefined };
        },
      };
    }
    update(params: any) {
      return {
        promise: async () => {
          counts.writes++;
          storedStates.push(params.ExpressionAttributeValues[':st']);
          const { Attributes } = await client.send(new UpdateItemCommand({
            TableName: params.TableName,
            Key: marshallMap(params.Key),
            UpdateExpression: params.UpdateExpression,
            ExpressionAttributeValues: marshallMap(params.ExpressionAttributeValues),
            ReturnValues: params.ReturnValues,
          }));
          return { Attributes: Attributes ? unmarshallMap(Attributes) : undefined };
        },
      };
    }
  }
  return { DynamoDB: { DocumentClient } };
}

async function benchAnchor(endpointClient: () => DynamoDBClient, table: string): Promise<PhaseResult[]> {
  const counts: Counts = { reads: 0, writes: 0 };
  const storedStates: string[] = [];
  const shim = documentClientShim(endpointClient(), counts, storedStates);
  // The anchor reads these when it is loaded.
  process.env.CIRCUITBREAKER_TABLE = table;
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'payments-api';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('module');
  const load = Module._load;
  Module._load = (request: string, ...rest: unknown[]) => request === 'aws-sdk' ? shim : load(request, ...rest);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const AnchorBreaker = require('circuitbreaker-lambda');
  Module._load = load;

  const results: PhaseResult[] = [];
  for (const downstream of [healthy, failing]) {
    counts.reads = 0;
    counts.writes = 0;
    storedStates.length = 0;
    const breakers = Array.from({ length: ENVIRONMENTS }, () => new AnchorBreaker(downstream, { failureThreshold: FAILURE_THRESHOLD }));
    const { result: durations, lines } = await capturingLogs(() => workload(breakers.map(b => () => b.fire())));
    const opens = lines.filter(l => l.includes('CircuitBreaker state: OPEN')).length;
    const expectedOpens = downstream === failing ? 1 : 0;
    // An OPEN written and then overwritten by CLOSED (last writer wins) is an opening lost.
    let lost = 0;
    for (let i = 1; i < storedStates.length; i++) {
      if (storedStates[i - 1] === 'OPEN' && storedStates[i] === 'CLOSED') lost++;
    }
    results.push({
      reads: counts.reads,
      writes: counts.writes,
      medianMs: median(durations),
      opens,
      duplicated: Math.max(0, opens - expectedOpens),
      lost,
    });
  }
  return results;
}

async function main(): Promise<void> {
  const db = await startDynalite();
  try {
    await db.createCircuitTable('ours');
    await db.createCircuitTable('anchor');
    const ours = await benchOurs(() => db.client(), 'ours');
    const anchor = await benchAnchor(() => db.client(), 'anchor');
    const phases = ['healthy downstream', 'failing downstream'];
    const rows = phases.flatMap((phase, i) => [
      `| ${phase} | cdk-resilience | ${ours[i].reads} | ${ours[i].writes} | ${ours[i].medianMs.toFixed(3)} | ${ours[i].opens} | ${ours[i].duplicated} | ${ours[i].lost} |`,
      `| ${phase} | circuitbreaker-lambda 0.0.1 | ${anchor[i].reads} | ${anchor[i].writes} | ${anchor[i].medianMs.toFixed(3)} | ${anchor[i].opens} | ${anchor[i].duplicated} | ${anchor[i].lost} |`,
      `| ${phase} | ratio | ${ratio(ours[i].reads, anchor[i].reads)} | ${ratio(ours[i].writes, anchor[i].writes)} | ${ratio(ours[i].medianMs, anchor[i].medianMs)} | | | |`,
    ]);
    console.log([
      `Circuit breaker: ${ENVIRONMENTS} concurrent environments, ${CALLS_PER_PHASE} calls per phase, failureThreshold ${FAILURE_THRESHOLD}, dynalite on 127.0.0.1`,
      `(${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node.js ${process.version}, ${new Date().toISOString().slice(0, 10)})`,
      '',
      '| phase | breaker | DynamoDB reads per 1,000 calls | writes per 1,000 calls | median ms per call | openings | duplicated | lost |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'));
  } finally {
    await db.stop();
  }
}

void main();
