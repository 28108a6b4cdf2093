/**
 * Whether an event that reaches an EventBridge bus can match one of its rules
 * again: what decides if a loop through a rule is certain or only possible.
 *
 * The template shows something of the events that a link puts on a bus:
 * - a Lambda destination sends events with source `lambda` and a detail-type
 *   of its own (`LAMBDA_DESTINATION_EVENTS`);
 * - a grant of `events:PutEvents` whose statement has a `StringEquals`
 *   condition on `events:source` or `events:detail-type` lets the function put
 *   only events with those values;
 * - a rule whose target is a bus forwards the events its pattern matched.
 * A plain grant shows nothing: the function may put any event, or none.
 *
 * `matchAgain` compares that with the rule's `EventPattern`, key by key, and
 * answers `always` (the template shows that every such event matches),
 * `never` (it shows that none does) or `maybe`. Only the keys whose values the
 * template can show are compared (`source`, `detail-type`, and `account` or
 * `region` given as the stack's own); any other key (`detail`, `resources`,
 * ...) makes the answer `maybe` at best. A rule with a schedule and no pattern
 * matches no event.
 */
import { CFN_TYPE, ModelResource } from './cfn-model';
import { PolicyStatement, readRule } from './cfn-properties';

/** What the template shows of the events a link puts on a bus: the values each field can take; absent, not known. */
export interface EventShape {
  readonly source?: readonly string[];
  readonly detailType?: readonly string[];
}

/** The answer of `matchAgain`. */
export type Match = 'always' | 'never' | 'maybe';

/** The events that a Lambda destination puts on a bus. */
export const LAMBDA_DESTINATION_EVENTS = {
  'on-success': { source: ['lambda'], detailType: ['Lambda Function Invocation Result - Success'] },
  'on-failure': { source: ['lambda'], detailType: ['Lambda Function Invocation Result - Failure'] },
} as const;

/** The link that brought an event to a bus, as `matchAgain` reads it. */
export interface Arrival {
  readonly from: ModelResource;
  readonly kind: string;
  readonly events?: EventShape;
}

/** Whether an event that arrived at a bus over `arrival` matches `rule` (see the file's comment). */
export function matchAgain(arrival: Arrival | undefined, rule: ModelResource): Match {
  const { eventPattern, scheduled } = readRule(rule);
  if (eventPattern === undefined) return scheduled ? 'never' : 'maybe';
  if (!isObject(eventPattern)) return 'maybe';
  if (matchesEverything(eventPattern)) return 'always';
  if (!arrival) return 'maybe';
  // A rule that forwards to a bus: the event is the one its own pattern matched.
  if (arrival.kind === 'rule-target' && arrival.from.type === CFN_TYPE.RULE
    && JSON.stringify(readRule(arrival.from).eventPattern) === JSON.stringify(eventPattern)) {
    return 'always';
  }
  const known: Record<string, readonly string[] | undefined> = { 'source': arrival.events?.source, 'detail-type': arrival.events?.detailType };
  return combine(Object.entries(eventPattern).map(([key, filters]) => matchKey(key, filters, known[key])));
}

/** The events a grant's statement lets a function put, from its `StringEquals` conditions; `undefined` when it does not say. */
export function eventsAllowedBy(statement: PolicyStatement): EventShape | undefined {
  const equals = conditionOperator(statement.conditions, 'StringEquals');
  const values = (key: string): string[] | undefined => {
    const entry = Object.entries(equals ?? {}).find(([k]) => k.toLowerCase() === key);
    if (!entry) return undefined;
    const list = Array.isArray(entry[1]) ? entry[1] : [entry[1]];
    return list.every(v => typeof v === 'string') ? list as string[] : undefined;
  };
  const source = values('events:source');
  const detailType = values('events:detail-type');
  if (!source && !detailType) return undefined;
  return { ...source && { source }, ...detailType && { detailType } };
}

/** Two shapes of events that reach the same resource over one edge: each field known only if known in both. */
export function mergeShapes(a: EventShape | undefined, b: EventShape | undefined): EventShape | undefined {
  if (!a || !b) return undefined;
  const union = (x?: readonly string[], y?: readonly string[]) => x && y ? [...new Set([...x, ...y])] : undefined;
  const source = union(a.source, b.source);
  const detailType = union(a.detailType, b.detailType);
  if (!source && !detailType) return undefined;
  return { ...source && { source }, ...detailType && { detailType } };
}

/** Whether a pattern matches every event that this stack puts on a bus. */
function matchesEverything(pattern: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, filters]) => matchKey(key, filters, undefined) === 'always');
}

/** How one key of a pattern matches an event whose field takes one of `values` (`undefined`: not known). */
function matchKey(key: string, filters: unknown, values: readonly string[] | undefined): Match {
  if (!Array.isArray(filters)) return 'maybe';
  if (filters.some(filter => isOwn(key, filter) || matchesAnyValue(filter))) return 'always';
  if (!values || values.length === 0) return 'maybe';
  const each = values.map(value => {
    const results = filters.map(filter => matchFilter(filter, value));
    return results.includes('always') ? 'always' : results.every(r => r === 'never') ? 'never' : 'maybe';
  });
  return each.every(r => r === 'always') ? 'always' : each.every(r => r === 'never') ? 'never' : 'maybe';
}

/** The stack's own account or region: what every event this stack puts carries. */
function isOwn(key: string, filter: unknown): boolean {
  const ref = isObject(filter) ? filter.Ref : undefined;
  return (key === 'account' && ref === 'AWS::AccountId') || (key === 'region' && ref === 'AWS::Region');
}

/** A filter that every value of a field that events always have matches. */
function matchesAnyValue(filter: unknown): boolean {
  if (!isObject(filter)) return false;
  return filter.prefix === '' || filter.suffix === '' || filter.exists === true || filter.wildcard === '*';
}

/** How one filter of a pattern matches one value. */
function matchFilter(filter: unknown, value: string): Match {
  const yes = (b: boolean): Match => b ? 'always' : 'never';
  if (typeof filter === 'string') return yes(filter === value);
  if (!isObject(filter)) return 'maybe';
  const [operator, operand] = Object.entries(filter).length === 1 ? Object.entries(filter)[0] : [undefined, undefined];
  switch (operator) {
    case 'prefix': return typeof operand === 'string' ? yes(value.startsWith(operand)) : 'maybe';
    case 'suffix': return typeof operand === 'string' ? yes(value.endsWith(operand)) : 'maybe';
    case 'equals-ignore-case': return typeof operand === 'string' ? yes(value.toLowerCase() === operand.toLowerCase()) : 'maybe';
    case 'exists': return typeof operand === 'boolean' ? yes(operand) : 'maybe';
    case 'wildcard': return typeof operand === 'string'
      ? yes(new RegExp(`^${operand.split('*').map(escapeRegExp).join('.*')}$`).test(value)) : 'maybe';
    case 'anything-but': {
      const excluded = Array.isArray(operand) ? operand : [operand];
      if (excluded.every(e => typeof e === 'string')) return yes(!excluded.includes(value));
      return 'maybe';
    }
    default: return 'maybe';
  }
}

function combine(results: Match[]): Match {
  if (results.includes('never')) return 'never';
  return results.every(r => r === 'always') ? 'always' : 'maybe';
}

function conditionOperator(conditions: unknown, operator: string): Record<string, unknown> | undefined {
  if (!isObject(conditions)) return undefined;
  const entry = Object.entries(conditions).find(([k]) => k === operator);
  return entry && isObject(entry[1]) ? entry[1] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
