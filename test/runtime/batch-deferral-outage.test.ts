/**
 * End to end: an outage of the downstream behind a `CircuitBreaker`, with the
 * consumer of an SQS queue (maxReceiveCount 5, a dead-letter queue) driven as
 * Lambda's poller drives it: two pollers (two Lambda environments, each with
 * its own breaker and its own clients, sharing one circuit) receive batches of
 * up to 10, call the handler, delete what it did not report and leave what it
 * reported.
 *
 * The same scenario runs three times, at the same time, each with its own
 * queue, circuit and downstream:
 * - `deferral`: `BatchDeferral.process()`;
 * - `powertools`: Powertools' `processPartialResponse` with `BatchDeferral.recordHandler()`;
 * - `naive`: each record through the breaker, refused and failed records reported as failed.
 *
 * Real parts: dynalite (the circuit's table, conditional writes), the local
 * SQS of cdk-resilience/testing (`startLocalSqs`: sqslite cannot answer the
 * SDK v3's JSON protocol), real time (seconds, scaled down from production's minutes).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { LocalDynamoDb, startDynalite } from './dynalite';
import { BatchDeferral, CircuitBreaker, CircuitBreakerOptions, SqsBatchResponse } from '../../src/runtime';
import { completeBatch, LambdaSqsRecord, LocalSqs, receiveRecords, startLocalSqs } from '../../src/testing';

const TABLE = 'circuits';
const MAX_RECEIVE_COUNT = 5;
/** The source queue's visibility timeout, in seconds (production: 6 × the function timeout). */
const VISIBILITY_TIMEOUT = 1;
/** The downstream fails for this long from the first message on. */
const OUTAGE = 5_500;
const INITIAL_MESSAGES = 20;
/** During the outage, one message more every TRICKLE_EVERY ms, TRICKLE_MESSAGES in all. */
const TRICKLE_MESSAGES = 20;
const TRICKLE_EVERY = 200;
const POLLERS = 2;
/** The scenario gives up after this long (a failure, not a figure). */
const DEADLINE = 25_000;
const BREAKER: CircuitBreakerOptions = {
  tableName: TABLE,
  failureThreshold: 3,
  windowDuration: 10_000,
  successThreshold: 2,
  openTimeout: 2_000,
  maxOpenTimeout: 16_000,
  probeTimeout: 2_000,
  stateCacheTtl: 100,
};

type Mode = 'deferral' | 'powertools' | 'naive';

interface Figures {
  readonly mode: Mode;
  readonly messages: number;
  /** Messages the downstream processed, each counted once. */
  readonly processed: number;
  /** Messages the downstream processed more than once. */
  readonly processedTwice: number;
  readonly deadLettered: number;
  /** Receives of each message (its deliveries to the handler). */
  readonly maxReceives: number;
  readonly meanReceives: number;
  /** Handler invocations. */
  readonly batches: number;
  /** From the first message until the queue was empty, in ms. */
  readonly drainedAfter: number;
}

let db: LocalDynamoDb;
let sqs: LocalSqs;
const figures = new Map<Mode, Figures>();

beforeAll(async () => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  db = await startDynalite();
  await db.createCircuitTable(TABLE);
  sqs = await startLocalSqs();
  const results = await Promise.all((['deferral', 'powertools', 'naive'] as const).map(scenario));
  results.forEach(f => figures.set(f.mode, f));
  jest.restoreAllMocks();
  console.log(['mode        messages processed twice DLQ receives(max) receives(mean) batches drained(s)',
    ...results.map(f => `${f.mode.padEnd(11)} ${String(f.messages).padStart(8)} ${String(f.processed).padStart(9)} ${String(f.processedTwice).padStart(5)} `
      + `${String(f.deadLettered).padStart(3)} ${String(f.maxReceives).padStart(13)} ${f.meanReceives.toFixed(2).padStart(14)} ${String(f.batches).padStart(7)} ${(f.drainedAfter / 1000).toFixed(1).padStart(10)}`)].join('\n'));
}, 60_000);

afterAll(async () => {
  await sqs?.stop();
  await db?.stop();
});

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, Math.max(ms, 0)));
}

/** One scenario: a queue and its dead-letter queue, a circuit, a downstream that fails for OUTAGE ms, POLLERS pollers. */
async function scenario(mode: Mode): Promise<Figures> {
  const admin = sqs.client();
  const queue = `orders-${mode}`;
  const dlq = `orders-${mode}-dlq`;
  await admin.send(new CreateQueueCommand({ QueueName: dlq }));
  await admin.send(new CreateQueueCommand({
    QueueName: queue,
    Attributes: {
      VisibilityTimeout: String(VISIBILITY_TIMEOUT),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn(dlq), maxReceiveCount: MAX_RECEIVE_COUNT }),
    },
  }));

  const start = Date.now();
  const processed = new Map<string, number>();
  const receives = new Map<string, number>();
  let batches = 0;
  const downstream = async (record: LambdaSqsRecord) => {
    await sleep(5);
    if (Date.now() < start + OUTAGE) throw new Error('downstream unavailable');
    processed.set(record.body, (processed.get(record.body) ?? 0) + 1);
  };

  /** One Lambda environment: its own breaker, clients and handler. */
  const environment = () => {
    const breaker = new CircuitBreaker({ ...BREAKER, circuitId: `payments-${mode}`, client: db.client() });
    const client = sqs.client();
    const deferral = new BatchDeferral(breaker, { client, halfOpenDelay: 1_000 });
    const processor = new BatchProcessor(EventType.SQS);
    const handler = async (event: { Records: LambdaSqsRecord[] }): Promise<SqsBatchResponse> => {
      switch (mode) {
        case 'deferral':
          return deferral.process(event, downstream);
        case 'powertools':
          return processPartialResponse(event, deferral.recordHandler(downstream), processor, { throwOnFullBatchFailure: false });
        case 'naive': {
          const batchItemFailures: { itemIdentifier: string }[] = [];
          for (const record of event.Records) {
            try {
              await breaker.fire(() => downstream(record));
            } catch {
              batchItemFailures.push({ itemIdentifier: record.messageId });
            }
          }
          return { batchItemFailures };
        }
      }
    };
    return { client, handler };
  };

  let sent = 0;
  const producer = (async () => {
    for (let i = 0; i < INITIAL_MESSAGES + TRICKLE_MESSAGES; i++) {
      if (i >= INITIAL_MESSAGES) await sleep(TRICKLE_EVERY);
      await admin.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl(queue), MessageBody: `order-${i}` }));
      sent += 1;
    }
  })();
  const drained = () => sent === INITIAL_MESSAGES + TRICKLE_MESSAGES && sqs.messages(queue).length === 0;

  let drainedAt = 0;
  const poller = async () => {
    const { client, handler } = environment();
    while (!drained() && Date.now() < start + DEADLINE) {
      const records = await receiveRecords(client, sqs, queue);
      if (records.length === 0) {
        await sleep(20);
        continue;
      }
      batches += 1;
      records.forEach(r => receives.set(r.body, (receives.get(r.body) ?? 0) + 1));
      await completeBatch(client, sqs, queue, records, handler({ Records: records }));
    }
    drainedAt ||= Date.now();
  };
  await Promise.all([producer, ...Array.from({ length: POLLERS }, poller)]);

  const counts = [...receives.values()];
  return {
    mode,
    messages: sent,
    processed: processed.size,
    processedTwice: [...processed.values()].filter(n => n > 1).length,
    deadLettered: sqs.messages(dlq).length,
    maxReceives: Math.max(...counts),
    meanReceives: counts.reduce((a, b) => a + b, 0) / counts.length,
    batches,
    drainedAfter: drainedAt - start,
  };
}

describe('BatchDeferral during an outage shorter than the circuit survives', () => {
  test.each(['deferral', 'powertools'] as const)('%s: no message is dead-lettered, each is processed once, receives stay below maxReceiveCount', (mode) => {
    // GIVEN the scenario ran (beforeAll)
    const f = figures.get(mode)!;
    // THEN
    expect(f.messages).toBe(INITIAL_MESSAGES + TRICKLE_MESSAGES);
    expect(f.deadLettered).toBe(0);
    expect(f.processed).toBe(f.messages);
    expect(f.processedTwice).toBe(0);
    expect(f.maxReceives).toBeLessThan(MAX_RECEIVE_COUNT);
  });

  test('naive (report failures): the same outage dead-letters messages', () => {
    // GIVEN the scenario ran (beforeAll)
    const f = figures.get('naive')!;
    // THEN: the messages that waited longest spent their receives, one per visibility timeout
    expect(f.deadLettered).toBeGreaterThan(0);
    expect(f.maxReceives).toBe(MAX_RECEIVE_COUNT);
    // and what was not dead-lettered was processed once
    expect(f.processed + f.deadLettered).toBe(f.messages);
    expect(f.processedTwice).toBe(0);
  });

  test('deferral spends fewer receives than the naive consumer', () => {
    expect(figures.get('deferral')!.meanReceives).toBeLessThan(figures.get('naive')!.meanReceives);
  });
});
