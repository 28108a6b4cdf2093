/**
 * The replay function that `ArchivedEventBus` deploys.
 *
 * Invoked with `{ "from": ISO-8601, "to": ISO-8601, "ruleArns"?: [...] }`, it
 * replays the archived events of that window onto the bus (only to the given
 * rules, when named), waits until the replay completes, fails or is cancelled,
 * within the function's own timeout, and returns the replay's name and state.
 * A replay still running when the function must return goes on by itself:
 * the returned state is then `STARTING` or `RUNNING`.
 */
import { randomBytes } from 'crypto';
import { DescribeReplayCommand, EventBridgeClient, ReplayState, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { REPLAY_ENV } from './runtime/contract';

/** What the function is invoked with. */
export interface ReplayRequest {
  /** Start of the window of archived events (inclusive), ISO-8601. */
  readonly from: string;
  /** End of the window (exclusive), ISO-8601; not in the future. */
  readonly to: string;
  /** Replay only to these rules of the bus; by default to every rule. */
  readonly ruleArns?: string[];
}

/** What the function returns. */
export interface ReplayResult {
  readonly replayName: string;
  readonly replayArn?: string;
  readonly state: string;
  readonly stateReason?: string;
  readonly eventLastReplayedTime?: string;
}

/** The part of the Lambda context the handler uses. */
export interface ReplayContext {
  getRemainingTimeInMillis(): number;
}

const TERMINAL_STATES: string[] = [ReplayState.COMPLETED, ReplayState.FAILED, ReplayState.CANCELLED];
/** Time kept back to return before the function times out. */
const RETURN_MARGIN_MS = 3_000;
const DAY_MS = 86_400_000;

let client: EventBridgeClient | undefined;

export async function handler(request: ReplayRequest, context: ReplayContext): Promise<ReplayResult> {
  const config = readConfig();
  const { from, to } = validateWindow(request, config.retentionDays, Date.now());
  const ruleArns = request.ruleArns ?? [];
  if (!Array.isArray(ruleArns) || ruleArns.some(arn => typeof arn !== 'string' || !arn.startsWith('arn:'))) {
    throw new Error(`ruleArns must be a list of rule ARNs, got ${JSON.stringify(request.ruleArns)}`);
  }

  client ??= new EventBridgeClient({});
  const replayName = uniqueReplayName(config.namePrefix);
  const started = await client.send(new StartReplayCommand({
    ReplayName: replayName,
    Description: `Replay of ${from.toISOString()} - ${to.toISOString()}`,
    EventSourceArn: config.archiveArn,
    EventStartTime: from,
    EventEndTime: to,
    Destination: { Arn: config.eventBusArn, FilterArns: ruleArns.length > 0 ? ruleArns : undefined },
  }));
  console.log(JSON.stringify({ message: 'replay started', replayName, from, to, ruleArns, state: started.State }));

  let result: ReplayResult = {
    replayName,
    replayArn: started.ReplayArn,
    state: started.State ?? ReplayState.STARTING,
    stateReason: started.StateReason,
  };
  while (!TERMINAL_STATES.includes(result.state)) {
    if (context.getRemainingTimeInMillis() < config.pollIntervalMs + RETURN_MARGIN_MS) {
      console.log(JSON.stringify({ message: 'replay still running when the function had to return', ...result }));
      return result;
    }
    await sleep(config.pollIntervalMs);
    const described = await client.send(new DescribeReplayCommand({ ReplayName: replayName }));
    result = {
      replayName,
      replayArn: described.ReplayArn ?? result.replayArn,
      state: described.State ?? result.state,
      stateReason: described.StateReason,
      eventLastReplayedTime: described.EventLastReplayedTime?.toISOString(),
    };
  }
  console.log(JSON.stringify({ message: 'replay ended', ...result }));
  return result;
}

interface Config {
  readonly archiveArn: string;
  readonly eventBusArn: string;
  readonly retentionDays: number;
  readonly namePrefix: string;
  readonly pollIntervalMs: number;
}

function readConfig(): Config {
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`environment variable ${name} is not set`);
    return value;
  };
  return {
    archiveArn: env(REPLAY_ENV.archiveArn),
    eventBusArn: env(REPLAY_ENV.eventBusArn),
    retentionDays: wholeNumber(REPLAY_ENV.archiveRetentionDays, env(REPLAY_ENV.archiveRetentionDays)),
    namePrefix: env(REPLAY_ENV.replayNamePrefix),
    pollIntervalMs: Number(process.env.REPLAY_POLL_INTERVAL_MS ?? 5_000),
  };
}

function wholeNumber(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new Error(`environment variable ${name} must be a whole number of days, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

/** Checks the window and returns its bounds. Retention 0 means the archive keeps events forever. */
export function validateWindow(request: ReplayRequest, retentionDays: number, now: number): { from: Date; to: Date } {
  const from = parseTime('from', request?.from);
  const to = parseTime('to', request?.to);
  if (from.getTime() >= to.getTime()) {
    throw new Error(`from must be before to, got from ${from.toISOString()} and to ${to.toISOString()}`);
  }
  if (to.getTime() > now) {
    throw new Error(`to must not be in the future, got ${to.toISOString()} (now is ${new Date(now).toISOString()})`);
  }
  if (retentionDays > 0 && from.getTime() < now - retentionDays * DAY_MS) {
    throw new Error(`from must be within the archive's retention of ${retentionDays} days (after ${new Date(now - retentionDays * DAY_MS).toISOString()}), got ${from.toISOString()}`);
  }
  return { from, to };
}

/** An ISO-8601 date-time with a time zone: 2026-01-31T12:00:00Z, 2026-01-31T12:00:00.000+01:00. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseTime(name: string, value: unknown): Date {
  const date = typeof value === 'string' && ISO_8601.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) {
    throw new Error(`${name} must be an ISO-8601 date-time such as 2026-01-31T12:00:00Z, got ${JSON.stringify(value)}`);
  }
  return date;
}

/** A replay name unique to this call: the prefix, the time and random characters, at most 64 characters. */
export function uniqueReplayName(prefix: string): string {
  const time = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `${prefix.slice(0, 38)}-${time}-${randomBytes(4).toString('hex')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
