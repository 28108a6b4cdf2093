import { Stack } from 'aws-cdk-lib';
import { CfnModel, ModelResource } from './cfn-model';
import { EventGraph } from './event-graph';
import { ResourcePath, retryPaths, RetryPaths } from './retry-paths';

/** A retry path as `RetryBudget` reports it (its `RetryPath`). */
export interface BudgetPath {
  readonly hops: string[];
  readonly attempts: number[];
  readonly worstCaseInvocations: number;
  readonly cyclic: boolean;
  readonly certainLoop: boolean;
  readonly countUnknown?: boolean;
}

/**
 * Everything the checks and the retry budget read of one stack, built once:
 * the model, its event graph, and (on first use) its retry paths. The rules
 * of `ResilienceChecks` and `RetryBudget` share one analysis per stack when
 * they run together (the command line), so a template is modelled once.
 */
export class StackAnalysis {
  /** The analysis of `stack` in `shared` (made and kept there on first use), or a new one. */
  public static of(stack: Stack, shared?: Map<Stack, StackAnalysis>): StackAnalysis {
    let analysis = shared?.get(stack);
    if (!analysis) {
      analysis = new StackAnalysis(new CfnModel(stack));
      shared?.set(stack, analysis);
    }
    return analysis;
  }

  /** How events flow between the stack's resources. */
  public readonly graph: EventGraph;
  private walked?: RetryPaths;
  private byFirstHop?: Map<ModelResource, ResourcePath[]>;

  constructor(public readonly model: CfnModel) {
    this.graph = new EventGraph(model);
  }

  /** Every retry path of the stack, and the resources from which the listing stopped at its limit. */
  public get retryPaths(): RetryPaths {
    this.walked ??= retryPaths(this.graph);
    return this.walked;
  }

  /** The retry paths that start at `resource`. */
  public pathsFrom(resource: ModelResource): ResourcePath[] {
    if (!this.byFirstHop) {
      this.byFirstHop = new Map();
      for (const path of this.retryPaths.paths) {
        const first = path.nodes[0];
        const list = this.byFirstHop.get(first);
        if (list) list.push(path);
        else this.byFirstHop.set(first, [path]);
      }
    }
    return this.byFirstHop.get(resource) ?? [];
  }

  /**
   * The retry paths as `RetryBudget` reports them (hops by construct path), and the
   * construct paths of the resources from which the listing stopped at its limit.
   */
  public budget(): { paths: BudgetPath[]; incomplete: string[] } {
    const { paths, incomplete } = this.retryPaths;
    return {
      paths: paths.map(p => ({
        hops: p.nodes.map(n => n.name),
        attempts: p.attempts,
        worstCaseInvocations: p.worstCaseInvocations,
        cyclic: p.cyclic,
        certainLoop: p.cyclic && p.certain,
        ...p.countUnknown && { countUnknown: true },
      })),
      incomplete: incomplete.map(resource => resource.name),
    };
  }

  /** Whether the listing of the paths that start at `resource` stopped at its limit. */
  public pathsIncompleteFrom(resource: ModelResource): boolean {
    return this.retryPaths.incomplete.includes(resource);
  }
}
