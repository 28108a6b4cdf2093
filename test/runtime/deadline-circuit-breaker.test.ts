/**
 * A downstream that hangs, behind the runtime `CircuitBreaker`: the same
 * handler with and without a deadline, in an invocation whose timeout is
 * simulated (5 s of remaining time, counted down by a real clock). Real
 * parts: dynalite for the circuit's table, an HTTP server on 127.0.0.1 that
 * never answers for the downstream, the AWS SDK's SQS client with its defaults.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LocalDynamoDb, startDynalite } from './dynalite';
import { CircuitBreaker } from '../../src/runtime/circuit-breaker';
import { applyDeadline, DeadlineExceededError, withDeadline } from '../../src/runtime/deadline';
import { HangingServer, startHangingServer } from '../../src/testing';

const TABLE = 'circuits';
/** The simulated invocation's timeout: Lambda ends it this long after it starts. */
const TIMEOUT = 5_000;
/** The margin the handler keeps before that timeout: the deadline falls at 3 s. */
const MARGIN = 2_000;
/** What a timer may fire early by (Node rounds to the millisecond). */
const TIMER_SLACK = 5;

let db: LocalDynamoDb;
let downstream: HangingServer;
const clients: SQSClient[] = [];

beforeAll(async () => {
  db = await startDynalite();
  await db.createCircuitTable(TABLE);
  downstream = await startHangingServer();
});

afterAll(async () => {
  clients.forEach(c => c.destroy());
  await downstream.stop();
  await db.stop();
});

beforeEach(() => {
  // The breaker's metric lines.
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** The answer when payments cannot be reached: the breaker's fallback, and the handler's when the deadline passes. */
const later = () => ({ statusCode: 503, body: 'payments are slow: try again shortly' });

/** An SQS client of the AWS SDK v3 with its defaults (3 attempts, no request timeout), to `endpoint`. */
function paymentsQueue(endpoint = downstream.url): SQSClient {
  const client = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  clients.push(client);
  return client;
}

function breaker(circuitId: string) {
  return new CircuitBreaker({ circuitId, tableName: TABLE, client: db.client(), failureThreshold: 1, fallback: later, stateCacheTtl: 0 });
}

type Handler = (event: { id: string }, context: { getRemainingTimeInMillis(): number }) => Promise<unknown>;

/** The handler: charges through the breaker; an error of the call is answered with the same fallback. */
function chargeHandler(payments: SQSClient, cb: CircuitBreaker<ReturnType<typeof later>>, deadline: boolean): Handler {
  const charge = async (event: { id: string }) => {
    try {
      return await cb.fire(async () => {
        await payments.send(new SendMessageCommand({ QueueUrl: `${payments.config.endpoint}/000000000000/payments`, MessageBody: JSON.stringify(event) }));
        return { statusCode: 201 as number, body: 'charged' };
      });
    } catch (error) {
      if (error instanceof DeadlineExceededError) return later();
      throw error;
    }
  };
  return deadline
    ? async (event, context) => withDeadline(context, { margin: MARGIN }).run(() => charge(event))
    : async (event) => charge(event);
}

/**
 * Invokes `handler` as Lambda would with `TIMEOUT`: its answer and when it came, or `'timed out'`;
 * `settled` is the handler's own promise, which Lambda would not wait for.
 */
function invoke(handler: Handler, id: string): { outcome: Promise<{ answer: unknown; after: number } | 'timed out'>; settled: Promise<unknown> } {
  const started = performance.now();
  const context = { getRemainingTimeInMillis: () => Math.max(0, Math.round(started + TIMEOUT - performance.now())) };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed out'>(resolve => { timer = setTimeout(() => resolve('timed out'), TIMEOUT); });
  const settled = handler({ id }, context);
  const answered = settled.then(answer => ({ answer, after: performance.now() - started }));
  return { outcome: Promise.race([answered, timedOut]).finally(() => clearTimeout(timer)), settled };
}

/** The circuit's item in the table, or undefined when no failure was ever counted. */
async function circuitItem(circuitId: string) {
  const { Item } = await db.client().send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: circuitId } }, ConsistentRead: true }));
  return Item ? { state: Item.state?.S, failures: Number(Item.failures?.N) } : undefined;
}

describe('a hanging downstream behind the CircuitBreaker', () => {
  test('with a deadline: the breaker counts the failure and the fallback answers before the timeout', async () => {
    // GIVEN payments that never answer, a client bound to the deadline, a breaker that opens at the first failure
    const handler = chargeHandler(applyDeadline(paymentsQueue()), breaker('payments-deadline'), true);
    const before = downstream.requests.length;

    // WHEN an invocation with 5 s to live charges
    const first = await invoke(handler, 'o-1').outcome;

    // THEN the call was stopped at the deadline (3 s), not before, and the fallback answered within the invocation
    expect(first).not.toBe('timed out');
    const { answer, after } = first as { answer: unknown; after: number };
    expect(answer).toEqual(later());
    expect(after).toBeGreaterThanOrEqual(TIMEOUT - MARGIN - TIMER_SLACK);
    expect(after).toBeLessThan(TIMEOUT);
    // and the breaker counted the failure: the circuit is open
    expect(await circuitItem('payments-deadline')).toEqual({ state: 'OPEN', failures: 1 });
    // and the request to payments was closed, not left hanging
    const sent = downstream.requests.slice(before);
    expect(sent).toHaveLength(1);
    await until(() => sent[0].closedAt !== undefined);

    // WHEN the next invocation charges
    const second = await invoke(handler, 'o-2').outcome;
    // THEN the open circuit answers with the fallback at once, without calling payments
    expect(second).not.toBe('timed out');
    expect((second as { answer: unknown }).answer).toEqual(later());
    expect((second as { after: number }).after).toBeLessThan(TIMEOUT - MARGIN);
    expect(downstream.requests.length).toBe(before + 1);
  });

  test('without a deadline: the call is still pending when Lambda would end the invocation, and nothing is counted', async () => {
    // GIVEN the same handler and breaker, payments that never answer, the AWS SDK's defaults and no deadline
    const hanging = await startHangingServer();
    const handler = chargeHandler(paymentsQueue(hanging.url), breaker('payments-no-deadline'), false);

    // WHEN an invocation with 5 s to live charges
    const invocation = invoke(handler, 'o-1');
    const outcome = await invocation.outcome;

    // THEN the invocation times out: no fallback ran
    expect(outcome).toBe('timed out');
    // and the breaker counted nothing: the circuit does not know payments hang
    expect(await circuitItem('payments-no-deadline')).toBeUndefined();
    // and the request to payments is still open
    expect(hanging.requests).toHaveLength(1);
    expect(hanging.requests[0].closedAt).toBeUndefined();

    // (Had payments gone away instead, the call would have failed, and been counted: the SDK retries the reset
    // connection and is refused. Let the call end so, before the test ends.)
    await hanging.stop();
    await expect(invocation.settled).rejects.toThrow(/ECONNREFUSED/);
    expect(await circuitItem('payments-no-deadline')).toEqual({ state: 'OPEN', failures: 1 });
  });
});

/** Polls `condition`; throws after `timeout` ms of a loaded machine's time. */
async function until(condition: () => boolean, timeout = 30_000): Promise<void> {
  const end = performance.now() + timeout;
  while (!condition()) {
    if (performance.now() > end) throw new Error(`condition not met within ${timeout} ms`);
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}
