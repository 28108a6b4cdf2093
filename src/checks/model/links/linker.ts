/**
 * What a link source (one file per service in this folder, listed in
 * `index.ts`) gets of the event graph it adds links to: the model, and the
 * ways to add a link and count attempts. Adding an integration to the checks'
 * engine is one file here, registered in `LINKS`, as a rule is one file
 * registered in the rule pack.
 */
import type { CfnModel, ModelResource } from '../cfn-model';
import type { EdgeKind, GraphEdge } from '../event-graph';
import type { EventShape } from '../event-patterns';

/** A link's attempts as the target receives events: a function's asynchronous attempts, 1 for anything else. */
export const RECEIVED = Symbol('received');

/** The event graph, as a link source adds to it. */
export interface Linker {
  readonly model: CfnModel;
  /**
   * A link from `from` to `to`, `to` attempted `given` times per event (`RECEIVED`: as a target that receives
   * events asynchronously or as a message sees them). Attempts the template does not fix (`undefined`) count as 1,
   * and the link says that its count is unknown. See `GraphEdge` for `events`, `shared` and `possible`.
   */
  link(from: ModelResource, to: ModelResource, kind: EdgeKind, given: number | undefined | typeof RECEIVED,
    events?: EventShape, shared?: boolean, possible?: boolean): void;
  /** A link whose count follows `per` (see `GraphEdge`); attempts the template does not fix count as 1, and say so. */
  linkCounted(from: ModelResource, to: ModelResource, kind: EdgeKind, attempts: number | undefined, per: GraphEdge['per']): void;
  /** How often a consumer receives a message of `queue` (`undefined`: the template does not fix it). */
  receiveAttempts(queue: ModelResource): number | undefined;
  /** How often Lambda attempts an asynchronous event for `fn` (`undefined`: the template does not fix it). */
  asyncAttempts(fn: ModelResource): number | undefined;
}

/** One integration of the engine: the links a kind of resource makes. */
export interface LinkSource {
  /** What it links, for people reading the list. */
  readonly name: string;
  find(graph: Linker): void;
}
