import { CFN_TYPE, ModelResource } from './cfn-model';
import { EventGraph, GraphEdge } from './event-graph';
import { Match, matchAgain } from './event-patterns';
import { LIMITS } from '../../private/defaults';

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
  /** The product along the path; a lower bound when `countUnknown`. */
  readonly worstCaseInvocations: number;
  readonly cyclic: boolean;
  readonly certain: boolean;
  /**
   * The template does not fix how often some hop is attempted (a parameter,
   * `Fn::If`): that hop counts once, so `worstCaseInvocations` is the least
   * the worst case can be, and the true count is unknown.
   */
  readonly countUnknown: boolean;
}

/** The paths of a stack, and the resources from which the listing stopped at `PATH_LIMIT`. */
export interface RetryPaths {
  readonly paths: ResourcePath[];
  /** The first resources whose paths were not all listed: the listing stopped at `PATH_LIMIT` paths from each. */
  readonly incomplete: ModelResource[];
}

/**
 * The most paths listed from one first resource (`RetryBudgetReport.PATH_LIMIT`
 * says the same): the listing of each first resource stops here and says so
 * (`incomplete`), and every other first resource is still walked.
 */
export const PATH_LIMIT = LIMITS.retryPathsPerResource;

/** Every path through the graph, from each resource that nothing in the stack sends to (see `PathWalker`). */
export function retryPaths(graph: EventGraph): RetryPaths {
  return new PathWalker(graph).walkAll();
}

/**
 * Walks the graph depth first, from each resource that nothing in the stack
 * sends to, then from the loops that nothing enters. The path being walked is
 * kept in arrays that grow and shrink with the walk; a path is copied only
 * when it is recorded, so a walk costs the length of the paths it records.
 */
class PathWalker {
  private readonly outgoing = new Map<ModelResource, GraphEdge[]>();
  private readonly incoming = new Set<ModelResource>();
  /** Whether what a failure edge carries to a resource goes on from there (memoized; see `consumed`). */
  private readonly leadsOn = new Map<ModelResource, boolean>();
  private readonly visited = new Set<ModelResource>();
  private readonly paths: ResourcePath[] = [];
  private readonly incomplete: ModelResource[] = [];

  // The path being walked: `nodes[i]` is left over `taken[i]`, attempted `attempts[i]` times per event it
  // receives; `matches[i]` whether the event that took `taken[i]` matches its rule (`always` for an edge that
  // does not end at a rule).
  private readonly nodes: ModelResource[] = [];
  private readonly attempts: number[] = [];
  private readonly taken: GraphEdge[] = [];
  private readonly matches: Match[] = [];
  /** The nodes on the path being walked, for the loop test. */
  private readonly onPath = new Map<ModelResource, number>();
  /** Paths recorded from the current first resource. */
  private recorded = 0;
  /** Whether the first hop's attempts are unknown (see `ResourcePath.countUnknown`). */
  private entryUnknown = false;

  constructor(private readonly graph: EventGraph) {
    for (const edge of graph.edges) {
      const list = this.outgoing.get(edge.from);
      if (list) list.push(edge);
      else this.outgoing.set(edge.from, [edge]);
      this.incoming.add(edge.to);
    }
  }

  public walkAll(): RetryPaths {
    // Queues, topics and buses first, then rules and the like, functions last: a loop that nothing enters starts where events wait.
    const waits = [CFN_TYPE.QUEUE, CFN_TYPE.TOPIC, CFN_TYPE.BUS] as string[];
    const rank = (node: ModelResource) => waits.includes(node.type) ? 0 : node.type === CFN_TYPE.FUNCTION ? 2 : 1;
    const starts = [...this.outgoing.keys()].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
    for (const start of starts.filter(node => !this.incoming.has(node))) this.walkFrom(start);
    // Loops that nothing enters: walked once, from their first resource in that order.
    for (const start of starts) {
      if (!this.visited.has(start)) this.walkFrom(start);
    }
    return { paths: this.paths, incomplete: this.incomplete };
  }

  private walkFrom(start: ModelResource): void {
    this.recorded = 0;
    const entry = entryAttempts(this.graph, start);
    this.entryUnknown = entry === undefined;
    const attempts = entry ?? 1;
    this.nodes.push(start);
    this.attempts.push(attempts);
    this.onPath.set(start, 0);
    const complete = this.walk(1, attempts);
    this.onPath.delete(start);
    this.nodes.pop();
    this.attempts.pop();
    if (!complete) this.incomplete.push(start);
  }

  /**
   * Walks on from the last node of the path, which received `events` events and was invoked `invocations`
   * times per event that entered the first; false when the path limit stopped it.
   */
  private walk(events: number, invocations: number): boolean {
    const node = this.nodes[this.nodes.length - 1];
    this.visited.add(node);
    const edges = this.onward(node);
    if (edges.length === 0 && this.nodes.length > 1) return this.record(invocations, false, false);
    for (const edge of edges) {
      const match = matchOf(this.taken[this.taken.length - 1], edge);
      // The template shows that no event that arrived this way matches the rule.
      if (match === 'never') continue;
      const received = edge.per === 'event' ? events : invocations;
      const invoked = received * edge.attempts;
      const start = this.onPath.get(edge.to);
      if (start !== undefined) {
        // Round the loop, the edge that closes it is the one that brings the event back to its first resource.
        const first = start < this.taken.length ? matchOf(edge, this.taken[start]) : match;
        if (first === 'never') continue;
        const loop = [...this.taken.slice(start), edge];
        // Buses and rules that forward to each other pass the event on unchanged: it matches each rule again.
        const forwarding = loop.every(e => e.kind === 'rule' || e.kind === 'rule-target');
        // A grant of a role that several functions share does not show that this function sends.
        const shown = loop.every(e => !e.shared);
        const certain = shown && (forwarding || [first, ...this.matches.slice(start + 1), match].every(m => m === 'always'));
        if (!this.record(invoked, true, certain, edge)) return false;
        continue;
      }
      this.nodes.push(edge.to);
      this.attempts.push(edge.attempts);
      this.taken.push(edge);
      this.matches.push(match);
      this.onPath.set(edge.to, this.nodes.length - 1);
      const complete = this.walk(received * (edge.copies ?? 1), invoked);
      this.onPath.delete(edge.to);
      this.nodes.pop();
      this.attempts.pop();
      this.taken.pop();
      this.matches.pop();
      if (!complete) return false;
    }
    return true;
  }

  /** Records the path walked (closed by `closing`, for a loop); false once the first resource has `PATH_LIMIT` paths. */
  private record(worstCaseInvocations: number, cyclic: boolean, certain: boolean, closing?: GraphEdge): boolean {
    if (this.recorded >= PATH_LIMIT) return false;
    this.recorded += 1;
    this.paths.push({
      nodes: closing ? [...this.nodes, closing.to] : [...this.nodes],
      attempts: closing ? [...this.attempts, closing.attempts] : [...this.attempts],
      worstCaseInvocations,
      cyclic,
      certain,
      countUnknown: this.entryUnknown || this.taken.some(e => e.attemptsUnknown) || closing?.attemptsUnknown === true,
    });
    return true;
  }

  /** The edges an event goes on over: a failure edge only to a resource from which something goes on. */
  private onward(node: ModelResource): GraphEdge[] {
    return (this.outgoing.get(node) ?? []).filter(e => !e.failure || this.consumed(e.to));
  }

  /**
   * Whether anything goes on from `node`. A dead-letter queue that nothing consumes keeps what failed: it ends no
   * path, even when it has a dead-letter queue of its own.
   */
  private consumed(node: ModelResource, seen = new Set<ModelResource>()): boolean {
    const known = this.leadsOn.get(node);
    if (known !== undefined) return known;
    if (seen.has(node)) return false;
    seen.add(node);
    const result = (this.outgoing.get(node) ?? []).some(e => !e.failure || this.consumed(e.to, seen));
    this.leadsOn.set(node, result);
    return result;
  }
}

/** Whether an event that arrived over `arrival` goes on over `edge`: the rule's match for an edge from a bus to a rule. */
function matchOf(arrival: GraphEdge | undefined, edge: GraphEdge): Match {
  if (edge.kind !== 'rule') return 'always';
  // A path that starts at the bus: whatever puts events on it is outside the stack.
  if (!arrival) return 'always';
  return matchAgain(arrival, edge.to);
}

/** How often the first hop is attempted: a function invoked asynchronously retries (`undefined`: the template does not fix how often). */
function entryAttempts(graph: EventGraph, node: ModelResource): number | undefined {
  if (node.type !== CFN_TYPE.FUNCTION) return 1;
  const async = graph.isInvokedAsynchronously(node) || graph.eventInvokeConfigsOf(node).length > 0;
  return async ? graph.asyncAttempts(node) : 1;
}
