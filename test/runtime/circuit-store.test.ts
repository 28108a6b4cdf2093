/**
 * Tests of `CircuitStore`, one request per method, against dynalite: the
 * conditions of the writes are enforced by the server.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { LocalDynamoDb, startDynalite } from './dynalite';
import { Circuit, CLOSED_CIRCUIT } from '../../src/runtime/circuit-state';
import { CircuitStore } from '../../src/runtime/circuit-store';

const TABLE = 'circuits';
const DAY_SECONDS = 86_400;
const WINDOW = 60_000;

let db: LocalDynamoDb;
let client: DynamoDBClient;
let circuitCount = 0;

beforeAll(async () => {
  db = await startDynalite();
  await db.createCircuitTable(TABLE);
  client = db.client();
});

afterAll(async () => {
  await db.stop();
});

/** A store of a circuit no other test uses. */
function newStore(): { store: CircuitStore; circuitId: string } {
  circuitCount += 1;
  const circuitId = `store-${circuitCount}`;
  return { store: new CircuitStore(client, TABLE, circuitId), circuitId };
}

/** The raw item (strings and numbers), or undefined. */
async function item(circuitId: string): Promise<Record<string, string | number> | undefined> {
  const { Item } = await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: circuitId } }, ConsistentRead: true }));
  return Item && Object.fromEntries(Object.entries(Item).map(([k, v]) => [k, v.N !== undefined ? Number(v.N) : v.S!]));
}

describe('CircuitStore', () => {
  test('get: a circuit without an item is CLOSED with no failures', async () => {
    // GIVEN
    const { store } = newStore();
    // WHEN / THEN
    await expect(store.get()).resolves.toEqual(CLOSED_CIRCUIT);
  });

  test('addFailure creates the item, then counts in the window; get reads back what it wrote', async () => {
    // GIVEN
    const { store, circuitId } = newStore();
    const now = Date.now();

    // WHEN
    const first = await store.addFailure(now, WINDOW);
    const second = await store.addFailure(now + 10, WINDOW);

    // THEN: the item holds only what counting writes; the missing numbers read as 0
    expect(await item(circuitId)).toEqual({
      id: circuitId, state: 'CLOSED', version: 0, failures: 2, windowStart: now, consecutiveOpens: 0, expiresAt: Math.floor((now + 10) / 1000) + DAY_SECONDS,
    });
    expect(first).toEqual({ ...CLOSED_CIRCUIT, failures: 1, windowStart: now });
    expect(second).toEqual({ ...CLOSED_CIRCUIT, failures: 2, windowStart: now });
    await expect(store.get()).resolves.toEqual(second);
  });

  test('addFailure and startWindow exclude each other: the window decides which one applies', async () => {
    // GIVEN a CLOSED circuit whose window started at `start`
    const { store } = newStore();
    const start = Date.now();
    await store.addFailure(start, WINDOW);

    // WHEN / THEN within the window, only addFailure applies
    await expect(store.startWindow(start + WINDOW - 1, WINDOW)).resolves.toBeUndefined();
    await expect(store.addFailure(start + WINDOW - 1, WINDOW)).resolves.toMatchObject({ failures: 2, windowStart: start });

    // WHEN / THEN once the window is over, only startWindow applies, with this failure as the first of a new window
    await expect(store.addFailure(start + WINDOW, WINDOW)).resolves.toBeUndefined();
    await expect(store.startWindow(start + WINDOW, WINDOW)).resolves.toMatchObject({ failures: 1, windowStart: start + WINDOW });
    await expect(store.startWindow(start + WINDOW + 1, WINDOW)).resolves.toBeUndefined();
  });

  test('transition writes the circuit if it is still at the version read; a second writer from the same version loses', async () => {
    // GIVEN a counted failure (version 0)
    const { store, circuitId } = newStore();
    const now = Date.now();
    const counted = (await store.addFailure(now, WINDOW))!;
    const opened: Circuit = { ...counted, state: 'OPEN', version: 1, openUntil: now + 1_000, consecutiveOpens: 1 };

    // WHEN two environments write from version 0
    const first = await store.transition(counted, opened, now);
    const second = await store.transition(counted, { ...opened, openUntil: now + 9_999 }, now);

    // THEN the first wrote every field and the TTL; the second changed nothing
    expect(first).toBe(true);
    expect(second).toBe(false);
    expect(await item(circuitId)).toEqual({ id: circuitId, ...opened, expiresAt: Math.floor(now / 1000) + DAY_SECONDS });

    // AND no failure is counted while it is OPEN
    await expect(store.addFailure(now, WINDOW)).resolves.toBeUndefined();
    await expect(store.startWindow(now + WINDOW, WINDOW)).resolves.toBeUndefined();
  });

  test('transition from version 0 creates the item when there is none', async () => {
    // GIVEN
    const { store, circuitId } = newStore();
    const now = Date.now();
    const to: Circuit = { ...CLOSED_CIRCUIT, state: 'OPEN', version: 1, openUntil: now + 1_000, consecutiveOpens: 1 };
    // WHEN / THEN
    await expect(store.transition(CLOSED_CIRCUIT, to, now)).resolves.toBe(true);
    await expect(store.get()).resolves.toEqual(to);
    expect((await item(circuitId))!.expiresAt).toBe(Math.floor(now / 1000) + DAY_SECONDS);
  });

  test('any other error of DynamoDB is thrown', async () => {
    // GIVEN a store on a server that is gone
    const gone = await startDynalite();
    await gone.stop();
    const store = new CircuitStore(gone.client(), TABLE, 'gone');
    // WHEN / THEN
    await expect(store.get()).rejects.toThrow();
    await expect(store.addFailure(Date.now(), WINDOW)).rejects.toThrow();
    await expect(store.startWindow(Date.now(), WINDOW)).rejects.toThrow();
    await expect(store.transition(CLOSED_CIRCUIT, { ...CLOSED_CIRCUIT, version: 1 }, Date.now())).rejects.toThrow();
  });
});
