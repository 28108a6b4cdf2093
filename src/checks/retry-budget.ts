import { IConstruct } from 'constructs';
import { LIMITS } from '../private/defaults';

/**
 * One path an event can take through an app, and how often its last hop is
 * invoked, at worst, for each event that enters the first.
 */
export interface RetryPath {
  /** The construct paths of the resources the event passes, first to last. */
  readonly hops: string[];

  /**
   * How often each hop is attempted for each event (or message) it receives:
   * SQS `maxReceiveCount`, Lambda's `1 + retryAttempts` for an asynchronous
   * invocation, EventBridge's `1 + maximumRetryAttempts` for an API
   * destination, `1 + retryAttempts + ceil(log2(batchSize))` for a stream
   * consumer that bisects (without bisecting, `1 + retryAttempts`; with
   * unbounded retries, as many attempts of the function's timeout as fit in
   * the record's life), 1 for a hop that only passes the event on.
   */
  readonly attempts: number[];

  /**
   * The worst-case number of invocations of the last hop per event that
   * enters the first: the product of the attempts along the way, counting a
   * send on every attempt of a function that sends. With `countUnknown`, the
   * least it can be.
   */
  readonly worstCaseInvocations: number;

  /**
   * Whether the template leaves how often a hop is attempted to deployment
   * (a `Ref` to a parameter, `Fn::ImportValue`, `Fn::If` where a retry count,
   * a `maxReceiveCount` or a timeout belongs). Such a hop counts as one
   * attempt in `attempts`, so `worstCaseInvocations` is the least the worst
   * case can be, never a guess of AWS's default.
   *
   * @default false
   */
  readonly countUnknown?: boolean;

  /**
   * Whether the path returns to a resource it already passed (the last hop).
   * `worstCaseInvocations` then counts one trip around the loop; an event
   * can go round it until something stops it.
   */
  readonly cyclic: boolean;

  /**
   * Whether the path is a loop that the template shows an event can go
   * round: at each EventBridge rule of the loop, the event that comes back
   * matches the rule again (a Lambda destination's events, a grant whose
   * conditions name the events' source or detail-type, a rule that forwards
   * to a bus whose rule matches what it forwards, a pattern that matches
   * every event). A cyclic path that is not certain is a possible loop: a
   * function may put events on the bus that triggers it, but the template
   * does not show that they match. Always `false` for a path that is not
   * cyclic.
   *
   * @default false
   */
  readonly certainLoop?: boolean;
}

/** The paths of a `RetryBudget` analysis. */
export class RetryBudgetReport {
  /**
   * The most paths listed from one resource. Fan-outs multiply paths (two
   * topics of 100 subscriptions in a row make 10,000 from one queue): the
   * listing from a resource stops here, says so in `incomplete`, and
   * `Resilience-Checks3` reports it.
   */
  public static readonly PATH_LIMIT = LIMITS.retryPathsPerResource;

  /** Every path, longest first (then the largest worst case first). */
  public readonly paths: RetryPath[];

  /**
   * The construct paths of the resources from which not every path is
   * listed: the listing stopped at `PATH_LIMIT` paths from each. Empty when
   * every path is listed.
   */
  public readonly incomplete: string[];

  /**
   * @param paths the paths
   * @param incomplete the resources from which not every path is listed
   */
  constructor(paths: RetryPath[], incomplete: string[] = []) {
    this.paths = [...paths].sort(comparePaths);
    this.incomplete = [...incomplete];
  }

  /** The paths whose worst case exceeds `threshold`, and every certain loop (not the possible ones: see `certainLoop`). */
  public pathsOver(threshold: number): RetryPath[] {
    return this.paths.filter(p => p.certainLoop || p.worstCaseInvocations > threshold);
  }

  /**
   * The paths as a Markdown table: each hop with its attempts, and the worst
   * case; a loop says whether it is certain or possible.
   */
  public toMarkdown(): string {
    const lines = [
      '| Path (hop ×attempts per event) | Worst-case invocations of the last hop |',
      '|---|---|',
    ];
    for (const path of this.paths) {
      const hops = path.hops.map((hop, i) => `\`${hop.replace(/\|/g, '\\|')}\`${path.attempts[i] > 1 ? ` ×${path.attempts[i]}` : ''}`);
      const count = path.countUnknown ? `at least ${path.worstCaseInvocations} (a hop's attempts are left to deployment)` : `${path.worstCaseInvocations}`;
      const worst = path.cyclic
        ? `${count} per trip (${path.certainLoop ? 'certain loop' : 'possible loop: the template does not show that the event comes back'})`
        : count;
      lines.push(`| ${hops.join(' → ')} | ${worst} |`);
    }
    if (this.paths.length === 0) lines.push('| (no path) | |');
    for (const first of this.incomplete) {
      lines.push(`| \`${first.replace(/\|/g, '\\|')}\` → … | not listed: the listing stopped at ${RetryBudgetReport.PATH_LIMIT.toLocaleString('en-US')} paths from here |`);
    }
    return lines.join('\n') + '\n';
  }
}

/**
 * "Beware the retry storm": retries at several layers multiply. `analyze()`
 * walks the resources of an app or stack and reports every path an event can
 * take, with the worst-case number of invocations of its last hop.
 *
 * Paths follow SQS, Kinesis and DynamoDB Streams event source mappings,
 * EventBridge pipes (source, pipe, target), EventBridge rules and their
 * targets, SNS subscriptions, S3 notifications, Lambda destinations, the
 * resources that invoke a function asynchronously by a setting of their own
 * (an API Gateway integration with `X-Amz-Invocation-Type: 'Event'`, ...),
 * and the IAM grants that let a function send to a queue, publish to a topic,
 * put events on a bus, invoke a function or start a state machine. Two
 * targets of one rule on the same resource count twice. A dead-letter queue
 * or on-failure destination that nothing consumes ends no path: it keeps
 * what failed. A loop is certain or possible (`RetryPath.certainLoop`). The
 * functions that aws-cdk-lib creates for its own machinery (custom resource
 * handlers) are left out. Paths stay within a stack.
 */
export class RetryBudget {
  /** The retry budget of every stack under `scope`. */
  public static analyze(scope: IConstruct): RetryBudgetReport {
    // Loaded on first use, like the checks: an app that never analyzes does not pay for the model.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { CfnModel } = require('./model/cfn-model') as typeof import('./model/cfn-model');
    const { StackAnalysis } = require('./model/stack-analysis') as typeof import('./model/stack-analysis');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const budgets = CfnModel.of(scope).map(model => new StackAnalysis(model).budget());
    return new RetryBudgetReport(budgets.flatMap(b => b.paths), budgets.flatMap(b => b.incomplete));
  }

  /**
   * The retry budget of a CloudFormation template, without a CDK app: a
   * template that SAM (after its transform), the Serverless Framework, another
   * CDK version or a person wrote.
   *
   * The template is rebuilt as a stack of generic resources and analyzed as
   * `analyze()` analyzes a stack. A hop is named by its construct path where
   * the template has `aws:cdk:path` metadata, otherwise `Template/<logical ID>`.
   * Values the template leaves to deployment (a `Ref` to a parameter,
   * `Fn::ImportValue`, `Fn::If`) link nothing, as in `analyze()`; conditions
   * are not evaluated (every resource counts).
   *
   * @param template the parsed template (JSON), an object with `Resources`
   */
  public static fromTemplate(template: any): RetryBudgetReport {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { templateStack } = require('./model/template-stack') as typeof import('./model/template-stack');
    return RetryBudget.analyze(templateStack(template).stack);
  }

  private constructor() {}
}

function comparePaths(a: RetryPath, b: RetryPath): number {
  return b.hops.length - a.hops.length
    || b.worstCaseInvocations - a.worstCaseInvocations
    || a.hops.join('\n').localeCompare(b.hops.join('\n'));
}
