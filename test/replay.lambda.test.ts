/**
 * Tests of the replay function that `ArchivedEventBus` deploys.
 *
 * EventBridge has no local server (archives and replays exist only in AWS), so
 * `aws-sdk-client-mock` stands in for it: it answers the SDK's StartReplay and
 * DescribeReplay calls and records them. Everything else (validation, naming,
 * polling, time keeping) runs for real.
 */
import { DescribeReplayCommand, EventBridgeClient, StartReplayCommand, StartReplayCommandInput } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, uniqueReplayName, validateWindow } from '../src/replay.lambda';

const ARCHIVE_ARN = 'arn:aws:events:us-east-1:123456789012:archive/Test-Orders-1a2b3c4d';
const EVENT_BUS_ARN = 'arn:aws:events:us-east-1:123456789012:event-bus/Test-Orders-1a2b3c4d';
const PREFIX = 'Test-Orders-1a2b3c4d';
const REPLAY_ARN = 'arn:aws:events:us-east-1:123456789012:replay/some-replay';
const RULE_ARNS = [
  'arn:aws:events:us-east-1:123456789012:rule/Test-Orders-1a2b3c4d/Billing',
  'arn:aws:events:us-east-1:123456789012:rule/Test-Orders-1a2b3c4d/Shipping',
];
/** What EventBridge accepts as a replay name. */
const VALID_NAME = /^[.\-_A-Za-z0-9]+$/;
/** The time and random parts that end every replay name. */
const NAME_TAIL = /-\d{8}T\d{6}-[0-9a-f]{8}$/;
/** A prefix of 60 characters, longer than a replay name leaves room for. */
const LONG_PREFIX = 'AVeryLongStackNameForTheOrderService-OrdersEventBus-1a2b3c4d';
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const eb = mockClient(EventBridgeClient);

/** A Lambda context with a fixed remaining time (plenty, by default). */
function contextWith(remainingMs = 60_000) {
  return { getRemainingTimeInMillis: jest.fn(() => remainingMs) };
}

/** A window of one hour that ended one hour ago, as the handler receives it. */
function recentWindow(): { from: string; to: string } {
  const now = Date.now();
  return { from: new Date(now - 2 * HOUR_MS).toISOString(), to: new Date(now - HOUR_MS).toISOString() };
}

/** The input of the only StartReplay call. */
function onlyStartInput(): StartReplayCommandInput {
  const calls = eb.commandCalls(StartReplayCommand);
  expect(calls).toHaveLength(1);
  return calls[0].args[0].input;
}

describe('replay function', () => {
  const savedEnv = process.env;

  beforeEach(() => {
    eb.reset();
    process.env = {
      ...savedEnv,
      ARCHIVE_ARN,
      EVENT_BUS_ARN,
      ARCHIVE_RETENTION_DAYS: '30',
      REPLAY_NAME_PREFIX: PREFIX,
      REPLAY_POLL_INTERVAL_MS: '1',
    };
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => {
    process.env = savedEnv;
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  describe('starting the replay', () => {
    test('replays the window of the archive onto the bus, to every rule by default', async () => {
      // GIVEN
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'STARTING' });
      eb.on(DescribeReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'COMPLETED' });
      const window = recentWindow();

      // WHEN
      const result = await handler(window, contextWith());

      // THEN
      const input = onlyStartInput();
      expect(input.EventSourceArn).toBe(ARCHIVE_ARN);
      expect(input.EventStartTime).toBeInstanceOf(Date);
      expect(input.EventEndTime).toBeInstanceOf(Date);
      expect(input.EventStartTime).toEqual(new Date(window.from));
      expect(input.EventEndTime).toEqual(new Date(window.to));
      expect(input.Destination?.Arn).toBe(EVENT_BUS_ARN);
      expect(input.Destination?.FilterArns).toBeUndefined();
      expect(input.Description).toBe(`Replay of ${window.from} - ${window.to}`);

      const name = input.ReplayName!;
      expect(name.startsWith(`${PREFIX}-`)).toBe(true);
      expect(name).toMatch(VALID_NAME);
      expect(name).toMatch(NAME_TAIL);
      expect(name.length).toBeLessThanOrEqual(64);
      expect(result.replayName).toBe(name);
    });

    test('replays only to the given rules', async () => {
      // GIVEN
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'STARTING' });
      eb.on(DescribeReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'COMPLETED' });

      // WHEN
      await handler({ ...recentWindow(), ruleArns: RULE_ARNS }, contextWith());

      // THEN
      expect(onlyStartInput().Destination).toEqual({ Arn: EVENT_BUS_ARN, FilterArns: RULE_ARNS });
    });

    test('an empty list of rules replays to every rule', async () => {
      // GIVEN
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'STARTING' });
      eb.on(DescribeReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'COMPLETED' });

      // WHEN
      await handler({ ...recentWindow(), ruleArns: [] }, contextWith());

      // THEN
      const input = onlyStartInput();
      expect(input.Destination?.Arn).toBe(EVENT_BUS_ARN);
      expect(input.Destination?.FilterArns).toBeUndefined();
    });

    test('a StartReplay error propagates', async () => {
      // GIVEN
      eb.on(StartReplayCommand).rejects(new Error('ResourceAlreadyExistsException'));

      // WHEN / THEN
      await expect(handler(recentWindow(), contextWith())).rejects.toThrow('ResourceAlreadyExistsException');
      expect(eb.commandCalls(StartReplayCommand)).toHaveLength(1);
      expect(eb.commandCalls(DescribeReplayCommand)).toHaveLength(0);
    });
  });

  describe('replay names', () => {
    test('have the prefix, the UTC time to the second and 8 random hex characters', () => {
      // GIVEN
      jest.useFakeTimers({ now: new Date('2026-01-31T12:34:56.789Z'), doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'setTimeout', 'setInterval', 'clearImmediate', 'clearTimeout', 'clearInterval', 'hrtime', 'performance'] });

      // WHEN
      const name = uniqueReplayName(PREFIX);

      // THEN
      expect(name).toMatch(/^Test-Orders-1a2b3c4d-20260131T123456-[0-9a-f]{8}$/);
    });

    test('200 names are distinct', () => {
      // WHEN
      const names = Array.from({ length: 200 }, () => uniqueReplayName(PREFIX));

      // THEN
      expect(new Set(names).size).toBe(200);
      for (const name of names) {
        expect(name).toMatch(VALID_NAME);
        expect(name.length).toBeLessThanOrEqual(64);
      }
    });

    test('a long prefix is cut so that the name stays within 64 characters and keeps its random part', () => {
      // GIVEN
      expect(LONG_PREFIX).toHaveLength(60);

      // WHEN
      const names = Array.from({ length: 50 }, () => uniqueReplayName(LONG_PREFIX));

      // THEN
      expect(new Set(names).size).toBe(50);
      for (const name of names) {
        expect(name.length).toBeLessThanOrEqual(64);
        expect(name).toMatch(VALID_NAME);
        expect(name.startsWith(LONG_PREFIX.slice(0, 38))).toBe(true);
        expect(name).toMatch(NAME_TAIL);
      }
    });

    test('a long prefix from the environment gives a valid name to StartReplay', async () => {
      // GIVEN
      process.env.REPLAY_NAME_PREFIX = LONG_PREFIX;
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'STARTING' });
      eb.on(DescribeReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'COMPLETED' });

      // WHEN
      await handler(recentWindow(), contextWith());

      // THEN
      const name = onlyStartInput().ReplayName!;
      expect(name.length).toBeLessThanOrEqual(64);
      expect(name).toMatch(VALID_NAME);
      expect(name).toMatch(NAME_TAIL);
      expect(name.startsWith(LONG_PREFIX.slice(0, 38))).toBe(true);
    });

    test('two invocations in the same second start replays with distinct names', async () => {
      // GIVEN: the clock stands still (only Date is faked; the poll timers are real)
      jest.useFakeTimers({ now: new Date('2026-01-31T12:00:00.250Z'), doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate', 'setTimeout', 'setInterval', 'clearImmediate', 'clearTimeout', 'clearInterval', 'hrtime', 'performance'] });
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'STARTING' });
      eb.on(DescribeReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'COMPLETED' });
      const window = { from: '2026-01-31T10:00:00Z', to: '2026-01-31T11:00:00Z' };

      // WHEN
      const results = await Promise.all([handler(window, contextWith()), handler(window, contextWith())]);

      // THEN
      const names = eb.commandCalls(StartReplayCommand).map(call => call.args[0].input.ReplayName);
      expect(names).toHaveLength(2);
      for (const name of names) {
        expect(name).toMatch(/^Test-Orders-1a2b3c4d-20260131T120000-[0-9a-f]{8}$/);
      }
      expect(names[0]).not.toBe(names[1]);
      expect(results.map(r => r.replayName).sort()).toEqual([...names].sort());
    });
  });

  describe('waiting for the replay', () => {
    test('polls DescribeReplay until the replay completes', async () => {
      // GIVEN
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'STARTING' });
      eb.on(DescribeReplayCommand)
        .resolvesOnce({ ReplayArn: REPLAY_ARN, State: 'STARTING' })
        .resolvesOnce({ ReplayArn: REPLAY_ARN, State: 'RUNNING', EventLastReplayedTime: new Date('2026-01-31T10:20:00Z') })
        .resolvesOnce({ ReplayArn: REPLAY_ARN, State: 'COMPLETED', EventLastReplayedTime: new Date('2026-01-31T10:59:59Z') });
      const context = contextWith();

      // WHEN
      const result = await handler(recentWindow(), context);

      // THEN
      const name = onlyStartInput().ReplayName!;
      expect(result).toEqual({
        replayName: name,
        replayArn: REPLAY_ARN,
        state: 'COMPLETED',
        eventLastReplayedTime: '2026-01-31T10:59:59.000Z',
      });
      const describes = eb.commandCalls(DescribeReplayCommand);
      expect(describes).toHaveLength(3);
      for (const call of describes) {
        expect(call.args[0].input).toEqual({ ReplayName: name });
      }
      expect(context.getRemainingTimeInMillis).toHaveBeenCalledTimes(3);
    });

    test('returns a failed replay with its reason, without throwing', async () => {
      // GIVEN
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'STARTING' });
      eb.on(DescribeReplayCommand)
        .resolvesOnce({ ReplayArn: REPLAY_ARN, State: 'RUNNING' })
        .resolvesOnce({ ReplayArn: REPLAY_ARN, State: 'FAILED', StateReason: 'Archive is being deleted' });

      // WHEN
      const result = await handler(recentWindow(), contextWith());

      // THEN
      expect(result).toEqual({
        replayName: onlyStartInput().ReplayName,
        replayArn: REPLAY_ARN,
        state: 'FAILED',
        stateReason: 'Archive is being deleted',
      });
      expect(eb.commandCalls(DescribeReplayCommand)).toHaveLength(2);
    });

    test('returns a cancelled replay, without throwing', async () => {
      // GIVEN
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'STARTING' });
      eb.on(DescribeReplayCommand)
        .resolvesOnce({ ReplayArn: REPLAY_ARN, State: 'CANCELLING' })
        .resolvesOnce({ ReplayArn: REPLAY_ARN, State: 'CANCELLED', StateReason: 'Cancelled by an operator' });

      // WHEN
      const result = await handler(recentWindow(), contextWith());

      // THEN
      expect(result).toEqual({
        replayName: onlyStartInput().ReplayName,
        replayArn: REPLAY_ARN,
        state: 'CANCELLED',
        stateReason: 'Cancelled by an operator',
      });
      expect(eb.commandCalls(DescribeReplayCommand)).toHaveLength(2);
    });

    test('returns right after StartReplay when too little time is left to poll', async () => {
      // GIVEN: 2 s left, below the 1 ms poll interval + 3 s margin
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'STARTING' });
      eb.on(DescribeReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'COMPLETED' });

      // WHEN
      const result = await handler(recentWindow(), contextWith(2_000));

      // THEN
      expect(result).toEqual({ replayName: onlyStartInput().ReplayName, replayArn: REPLAY_ARN, state: 'STARTING' });
      expect(eb.commandCalls(DescribeReplayCommand)).toHaveLength(0);
    });

    test('a replay already running when time is short is returned as RUNNING', async () => {
      // GIVEN
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'RUNNING' });
      eb.on(DescribeReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'COMPLETED' });

      // WHEN
      const result = await handler(recentWindow(), contextWith(2_000));

      // THEN
      expect(result.state).toBe('RUNNING');
      expect(eb.commandCalls(DescribeReplayCommand)).toHaveLength(0);
    });

    test('a StartReplay answer without a state is returned as STARTING', async () => {
      // GIVEN
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN });

      // WHEN
      const result = await handler(recentWindow(), contextWith(2_000));

      // THEN
      expect(result.state).toBe('STARTING');
    });

    test('stops polling when the remaining time reaches the poll interval + 3 s margin', async () => {
      // GIVEN: 10 s, then exactly 1 ms + 3 s (still enough), then 3 s (too little)
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'STARTING' });
      eb.on(DescribeReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'RUNNING', EventLastReplayedTime: new Date('2026-01-31T10:20:00Z') });
      const context = {
        getRemainingTimeInMillis: jest.fn<number, []>()
          .mockReturnValueOnce(10_000)
          .mockReturnValueOnce(3_001)
          .mockReturnValue(3_000),
      };

      // WHEN
      const result = await handler(recentWindow(), context);

      // THEN
      expect(result).toEqual({
        replayName: onlyStartInput().ReplayName,
        replayArn: REPLAY_ARN,
        state: 'RUNNING',
        eventLastReplayedTime: '2026-01-31T10:20:00.000Z',
      });
      expect(eb.commandCalls(DescribeReplayCommand)).toHaveLength(2);
      expect(context.getRemainingTimeInMillis).toHaveBeenCalledTimes(3);
    });
  });

  describe('rejected requests', () => {
    /** Asserts that the handler rejects `request` with `message` and starts no replay. */
    async function expectRejected(request: unknown, message: string | RegExp) {
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'STARTING' });
      eb.on(DescribeReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'COMPLETED' });
      await expect(handler(request as any, contextWith())).rejects.toThrow(message);
      expect(eb.commandCalls(StartReplayCommand)).toHaveLength(0);
      expect(eb.commandCalls(DescribeReplayCommand)).toHaveLength(0);
    }

    test('fails if from equals to', async () => {
      // GIVEN
      const at = new Date(Date.now() - HOUR_MS).toISOString();

      // WHEN / THEN
      await expectRejected({ from: at, to: at }, `from must be before to, got from ${at} and to ${at}`);
    });

    test('fails if from is after to', async () => {
      // GIVEN
      const { from, to } = recentWindow();

      // WHEN / THEN
      await expectRejected({ from: to, to: from }, `from must be before to, got from ${to} and to ${from}`);
    });

    test('fails if to is in the future', async () => {
      // GIVEN
      const from = new Date(Date.now() - HOUR_MS).toISOString();
      const to = new Date(Date.now() + HOUR_MS).toISOString();

      // WHEN / THEN
      await expectRejected({ from, to }, `to must not be in the future, got ${to} (now is `);
    });

    test("fails if from is before the archive's retention", async () => {
      // GIVEN: ARCHIVE_RETENTION_DAYS=30
      const from = new Date(Date.now() - 31 * DAY_MS).toISOString();
      const to = new Date(Date.now() - HOUR_MS).toISOString();

      // WHEN / THEN
      await expectRejected({ from, to }, new RegExp(`^from must be within the archive's retention of 30 days \\(after \\S+\\), got ${from.replace(/\./g, '\\.')}$`));
    });

    test.each([
      ['not a date', 'yesterday'],
      ['empty', ''],
      ['a number', 1767225600000],
      ['missing', undefined],
      ['null', null],
    ])('fails if from is %s', async (_, from) => {
      // GIVEN
      const { to } = recentWindow();

      // WHEN / THEN
      await expectRejected({ from, to }, `from must be an ISO-8601 date-time such as 2026-01-31T12:00:00Z, got ${JSON.stringify(from)}`);
    });

    test.each([
      ['not a date', 'now'],
      ['a number', 1767225600000],
      ['missing', undefined],
    ])('fails if to is %s', async (_, to) => {
      // GIVEN
      const { from } = recentWindow();

      // WHEN / THEN
      await expectRejected({ from, to }, `to must be an ISO-8601 date-time such as 2026-01-31T12:00:00Z, got ${JSON.stringify(to)}`);
    });

    test('fails if from and to are date strings that are not ISO-8601', async () => {
      // GIVEN: RFC 7231 dates, which JavaScript's Date parses but which are not ISO-8601
      const from = new Date(Date.now() - 2 * HOUR_MS).toUTCString();
      const to = new Date(Date.now() - HOUR_MS).toUTCString();

      // WHEN / THEN
      await expectRejected({ from, to }, `from must be an ISO-8601 date-time such as 2026-01-31T12:00:00Z, got ${JSON.stringify(from)}`);
    });

    test('fails if the request is missing', async () => {
      await expectRejected(undefined, 'from must be an ISO-8601 date-time such as 2026-01-31T12:00:00Z, got undefined');
    });

    test.each([
      ['a single ARN', RULE_ARNS[0]],
      ['a list with a rule name', ['Billing']],
      ['a list with a number', [42]],
      ['an object', { arn: RULE_ARNS[0] }],
    ])('fails if ruleArns is %s', async (_, ruleArns) => {
      await expectRejected({ ...recentWindow(), ruleArns }, `ruleArns must be a list of rule ARNs, got ${JSON.stringify(ruleArns)}`);
    });

    test.each(['ARCHIVE_ARN', 'EVENT_BUS_ARN', 'ARCHIVE_RETENTION_DAYS', 'REPLAY_NAME_PREFIX'])('fails if the environment variable %s is not set', async (name) => {
      // GIVEN
      delete process.env[name];

      // WHEN / THEN
      await expectRejected(recentWindow(), `environment variable ${name} is not set`);
    });
    test.each(['abc', '-1', '1.5'])('fails if ARCHIVE_RETENTION_DAYS is %s', async (value) => {
      // GIVEN
      process.env.ARCHIVE_RETENTION_DAYS = value;

      // WHEN / THEN
      await expectRejected(recentWindow(), `environment variable ARCHIVE_RETENTION_DAYS must be a whole number of days, got "${value}"`);
    });
  });

  describe('archive retention', () => {
    test('retention 0 (forever) accepts a window 400 days old', async () => {
      // GIVEN
      process.env.ARCHIVE_RETENTION_DAYS = '0';
      eb.on(StartReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'STARTING' });
      eb.on(DescribeReplayCommand).resolves({ ReplayArn: REPLAY_ARN, State: 'COMPLETED' });
      const from = new Date(Date.now() - 400 * DAY_MS).toISOString();
      const to = new Date(Date.now() - 399 * DAY_MS).toISOString();

      // WHEN
      const result = await handler({ from, to }, contextWith());

      // THEN
      expect(result.state).toBe('COMPLETED');
      const input = onlyStartInput();
      expect(input.EventStartTime).toEqual(new Date(from));
      expect(input.EventEndTime).toEqual(new Date(to));
    });

    test('validateWindow accepts a from exactly at the retention limit and a to exactly now', () => {
      // GIVEN
      const now = Date.parse('2026-01-31T12:00:00Z');

      // WHEN
      const window = validateWindow({ from: '2026-01-01T12:00:00Z', to: '2026-01-31T12:00:00Z' }, 30, now);

      // THEN
      expect(window).toEqual({ from: new Date('2026-01-01T12:00:00Z'), to: new Date('2026-01-31T12:00:00Z') });
    });

    test('validateWindow rejects a from one millisecond before the retention limit', () => {
      // GIVEN
      const now = Date.parse('2026-01-31T12:00:00Z');

      // WHEN / THEN
      expect(() => validateWindow({ from: '2026-01-01T11:59:59.999Z', to: '2026-01-31T11:00:00Z' }, 30, now))
        .toThrow("from must be within the archive's retention of 30 days (after 2026-01-01T12:00:00.000Z), got 2026-01-01T11:59:59.999Z");
    });

    test('validateWindow rejects a to one millisecond in the future', () => {
      // GIVEN
      const now = Date.parse('2026-01-31T12:00:00Z');

      // WHEN / THEN
      expect(() => validateWindow({ from: '2026-01-31T11:00:00Z', to: '2026-01-31T12:00:00.001Z' }, 30, now))
        .toThrow('to must not be in the future, got 2026-01-31T12:00:00.001Z (now is 2026-01-31T12:00:00.000Z)');
    });
  });
});
