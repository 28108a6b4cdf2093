// The Lambda Node.js runtime provides the AWS SDK v3: it is deliberately not a dependency of this package.
// eslint-disable-next-line import/no-extraneous-dependencies
import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
// eslint-disable-next-line import/no-extraneous-dependencies
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Circuit, CircuitState, CLOSED_CIRCUIT } from './circuit-state';
import { CIRCUIT_BREAKER_PARTITION_KEY, CIRCUIT_BREAKER_TTL_ATTRIBUTE } from './contract';

/**
 * The attribute of each field of a circuit in its item; the type makes sure
 * none is missing. With the key and the TTL attribute of the contract, these
 * are all the attributes of the item.
 */
const ATTRIBUTES: Readonly<Record<keyof Circuit, string>> = {
  state: 'state',
  version: 'version',
  failures: 'failures',
  windowStart: 'windowStart',
  openUntil: 'openUntil',
  consecutiveOpens: 'consecutiveOpens',
  successes: 'successes',
  probeUntil: 'probeUntil',
};
const FIELDS = Object.keys(ATTRIBUTES) as ReadonlyArray<keyof Circuit>;
type NumberField = Exclude<keyof Circuit, 'state'>;
const NUMBER_FIELDS = FIELDS.filter((field): field is NumberField => field !== 'state');

/**
 * The names that expressions write as placeholders: `#key`, `#ttl`, and `#`
 * followed by a field of the circuit (`#failures`).
 */
const PLACEHOLDERS: Readonly<Record<string, string>> = {
  '#key': CIRCUIT_BREAKER_PARTITION_KEY,
  '#ttl': CIRCUIT_BREAKER_TTL_ATTRIBUTE,
  ...Object.fromEntries(FIELDS.map(field => [`#${field}`, ATTRIBUTES[field]])),
};

/** A circuit's item not written for this long expires (DynamoDB TTL): abandoned circuits disappear. */
const ITEM_TTL_SECONDS = 86_400;

/** Every transition writes every field of the circuit, and refreshes the TTL. */
const WRITE_CIRCUIT = `SET ${FIELDS.map(field => `#${field} = :${field}`).join(', ')}, #ttl = :ttl`;

/**
 * The item of one circuit in a `CircuitBreakerTable`: one method per request
 * the breaker makes. A missing item is a CLOSED circuit with no failures.
 * A write whose condition fails returns `undefined` (or `false`); any other
 * error of DynamoDB is thrown.
 */
export class CircuitStore {
  private readonly key: Record<string, AttributeValue>;

  constructor(private readonly client: DynamoDBClient, private readonly tableName: string, circuitId: string) {
    this.key = { [CIRCUIT_BREAKER_PARTITION_KEY]: { S: circuitId } };
  }

  /** Reads the circuit with a consistent read (GetItem). */
  public async get(): Promise<Circuit> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: this.key, ConsistentRead: true }));
    return Item ? circuitOf(Item) : CLOSED_CIRCUIT;
  }

  /**
   * Adds a failure to the current window: if there is no item (it creates a
   * CLOSED one, its window starting at `now`), or if the circuit is CLOSED
   * and its window started after `now - windowDuration`. Returns the circuit
   * after the write; `undefined` when neither holds.
   */
  public async addFailure(now: number, windowDuration: number): Promise<Circuit | undefined> {
    return this.countFailure(
      'ADD #failures :one SET #windowStart = if_not_exists(#windowStart, :now), #state = if_not_exists(#state, :closed), '
        + '#version = if_not_exists(#version, :zero), #consecutiveOpens = if_not_exists(#consecutiveOpens, :zero), #ttl = :ttl',
      'attribute_not_exists(#key) OR (#state = :closed AND #windowStart > :floor)',
      { ':one': n(1), ':zero': n(0), ':now': n(now), ':closed': { S: 'CLOSED' }, ':floor': n(now - windowDuration), ':ttl': n(ttl(now)) },
    );
  }

  /**
   * Starts a new window at `now` with this failure as its first: if the
   * circuit is CLOSED and its window started at or before `now - windowDuration`.
   * Returns the circuit after the write; `undefined` when that does not hold.
   */
  public async startWindow(now: number, windowDuration: number): Promise<Circuit | undefined> {
    return this.countFailure(
      'SET #failures = :one, #windowStart = :now, #ttl = :ttl',
      '#state = :closed AND #windowStart <= :floor',
      { ':one': n(1), ':now': n(now), ':closed': { S: 'CLOSED' }, ':floor': n(now - windowDuration), ':ttl': n(ttl(now)) },
    );
  }

  /**
   * Writes the circuit `to` if the circuit is still at `from`'s version (or,
   * for version 0, has none yet). Returns `false` when another environment
   * moved it first.
   */
  public async transition(from: Circuit, to: Circuit, now: number): Promise<boolean> {
    const written = await this.updateIf(
      WRITE_CIRCUIT,
      from.version === 0 ? 'attribute_not_exists(#version) OR #version = :expected' : '#version = :expected',
      { ...valuesOf(to), ':expected': n(from.version), ':ttl': n(ttl(now)) },
    );
    return written !== undefined;
  }

  /** A conditional write that counts a failure, and the circuit after it. */
  private async countFailure(update: string, condition: string, values: Record<string, AttributeValue>): Promise<Circuit | undefined> {
    const item = await this.updateIf(update, condition, values, 'ALL_NEW');
    return item && circuitOf(item);
  }

  /**
   * One conditional UpdateItem. Returns the item after the write when
   * `returnValues` asks for it (otherwise an empty object), or `undefined`
   * when the condition failed.
   */
  private async updateIf(update: string, condition: string, values: Record<string, AttributeValue>, returnValues?: 'ALL_NEW'): Promise<Record<string, AttributeValue> | undefined> {
    try {
      const { Attributes } = await this.client.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: this.key,
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeNames: namesIn(update, condition),
        ExpressionAttributeValues: values,
        ReturnValues: returnValues,
      }));
      return Attributes ?? {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}

/** The circuit an item holds; a missing attribute reads as 0 (or CLOSED). */
function circuitOf(item: Record<string, AttributeValue>): Circuit {
  const number = (field: NumberField) => Number(item[ATTRIBUTES[field]]?.N ?? 0);
  return {
    state: (item[ATTRIBUTES.state]?.S as CircuitState | undefined) ?? 'CLOSED',
    version: number('version'),
    failures: number('failures'),
    windowStart: number('windowStart'),
    openUntil: number('openUntil'),
    consecutiveOpens: number('consecutiveOpens'),
    successes: number('successes'),
    probeUntil: number('probeUntil'),
  };
}

/** The values of `WRITE_CIRCUIT`: `:<field>` for every field of `circuit`. */
function valuesOf(circuit: Circuit): Record<string, AttributeValue> {
  return { ':state': { S: circuit.state }, ...Object.fromEntries(NUMBER_FIELDS.map(field => [`:${field}`, n(circuit[field])])) };
}

/** The attribute names of the placeholders the expressions use (DynamoDB refuses names that none uses). */
function namesIn(...expressions: string[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [placeholder] of expressions.join(' ').matchAll(/#\w+/g)) {
    const name = PLACEHOLDERS[placeholder];
    if (name === undefined) throw new Error(`unknown attribute placeholder ${placeholder}`);
    names[placeholder] = name;
  }
  return names;
}

function n(value: number): AttributeValue {
  return { N: String(value) };
}

/** The TTL of an item written at `now`: epoch seconds. */
function ttl(now: number): number {
  return Math.floor(now / 1000) + ITEM_TTL_SECONDS;
}
