import { CFN_TYPE, ModelResource } from './cfn-model';
import { EventGraph, GraphEdge } from './event-graph';
import { Match, matchAgain } from './event-patterns';

/**
 * A path with the resources it passes. A cyclic path is a `certain` loop when
 * the template shows that an event can go round it: at each rule of the loop,
 * the event that reaches the rule's bus matches it again (`matchAgain`). A
 * loop that only a grant to put events on a bus closes, with events the
 * template does not show, is possible, not certain; so is a loop through a
 * grant of a role that several functions share (`GraphEdge.shared`).
 */
export interface ResourcePath {
  readonly nodes: ModelResource[];
  readonly attempts: number[];
  readonly worstCaseInvocations: number;
  readonly cyclic: boolean;
  readonly certain: boolean;
}

/** An analysis stops listing paths here; a graph this wide is reported in part. */
const MAX_PATHS = 1000;

/** Every path through the graph, from each resource that nothing in the stack sends to. */
export function retryPaths(graph: EventGraph): ResourcePath[] {
  const paths: ResourcePath[] = [];
  const outgoing = new Map<ModelResource, GraphEdge[]>();
  const incoming = new Set<ModelResource>();
  for (const edge of graph.edges) {
    outgoing.set(edge.from, [...outgoing.get(edge.from) ?? [], edge]);
    incoming.add(edge.to);
  }
  // A dead-letter queue that nothing consumes keeps what failed: it ends no path, even when
  // it has a dead-letter queue of its own.
  const leadsOn = new Map<ModelResource, boolean>();
  const consumed = (node: ModelResource, seen = new Set<ModelResource>()): boolean => {
    const known = leadsOn.get(node);
    if (known !== undefined) return known;
    if (seen.has(node)) return false;
    seen.add(node);
    const result = (outgoing.get(node) ?? []).some(e => !e.failure || consumed(e.to, seen));
    leadsOn.set(node, result);
    return result;
  };
  const onward = (node: ModelResource): GraphEdge[] => (outgoing.get(node) ?? [])
    .filter(e => !e.failure || consumed(e.to));

  const visited = new Set<ModelResource>();
  /**
   * `taken[i]` is the edge from `nodes[i]` to `nodes[i + 1]`; `matches[i]` whether the event that took it
   * matches its rule, for an edge from a bus to a rule (`always` for any other edge).
   */
  const walk = (nodes: ModelResource[], attempts: number[], events: number, invocations: number, taken: GraphEdge[], matches: Match[]): void => {
    if (paths.length >= MAX_PATHS) return;
    const node = nodes[nodes.length - 1];
    visited.add(node);
    const edges = onward(node);
    if (edges.length === 0 && nodes.length > 1) {
      paths.push({ nodes, attempts, worstCaseInvocations: invocations, cyclic: false, certain: false });
    }
    for (const edge of edges) {
      const match = matchOf(taken[taken.length - 1], edge);
      // The template shows that no event that arrived this way matches the rule.
      if (match === 'never') continue;
      const received = edge.per === 'event' ? events : invocations;
      const invoked = received * edge.attempts;
      const start = nodes.indexOf(edge.to);
      if (start >= 0) {
        // Round the loop, the edge that closes it is the one that brings the event back to its first resource.
        const first = start < taken.length ? matchOf(edge, taken[start]) : match;
        if (first === 'never') continue;
        // Buses and rules that forward to each other pass the event on unchanged: it matches each rule again.
        const forwarding = [...taken.slice(start), edge].every(e => e.kind === 'rule' || e.kind === 'rule-target');
        // A grant of a role that several functions share does not show that this function sends.
        const shown = [...taken.slice(start), edge].every(e => !e.shared);
        const certain = shown && (forwarding || [first, ...matches.slice(start + 1), match].every(m => m === 'always'));
        paths.push({ nodes: [...nodes, edge.to], attempts: [...attempts, edge.attempts], worstCaseInvocations: invoked, cyclic: true, certain });
      } else {
        const copies = edge.copies ?? 1;
        walk([...nodes, edge.to], [...attempts, edge.attempts], received * copies, invoked, [...taken, edge], [...matches, match]);
      }
    }
  };

  // Queues, topics and buses first, then rules and the like, functions last: a loop that nothing enters starts where events wait.
  const waits = [CFN_TYPE.QUEUE, CFN_TYPE.TOPIC, CFN_TYPE.BUS] as string[];
  const rank = (node: ModelResource) => waits.includes(node.type) ? 0 : node.type === CFN_TYPE.FUNCTION ? 2 : 1;
  const order = (a: ModelResource, b: ModelResource) => rank(a) - rank(b) || a.name.localeCompare(b.name);
  const starts = [...outgoing.keys()].sort(order);
  for (const start of starts.filter(node => !incoming.has(node))) {
    const attempts = entryAttempts(graph, start);
    walk([start], [attempts], 1, attempts, [], []);
  }
  // Loops that nothing enters: walked once, from their first resource in that order.
  for (const start of starts) {
    if (visited.has(start)) continue;
    const attempts = entryAttempts(graph, start);
    walk([start], [attempts], 1, attempts, [], []);
  }
  return paths;
}

/** Whether an event that arrived over `arrival` goes on over `edge`: the rule's match for an edge from a bus to a rule. */
function matchOf(arrival: GraphEdge | undefined, edge: GraphEdge): Match {
  if (edge.kind !== 'rule') return 'always';
  // A path that starts at the bus: whatever puts events on it is outside the stack.
  if (!arrival) return 'always';
  return matchAgain(arrival, edge.to);
}

/** How often the first hop is attempted: a function invoked asynchronously retries. */
function entryAttempts(graph: EventGraph, node: ModelResource): number {
  if (node.type !== CFN_TYPE.FUNCTION) return 1;
  const async = graph.isInvokedAsynchronously(node) || graph.eventInvokeConfigsOf(node).length > 0;
  return async ? graph.asyncAttempts(node) : 1;
}
