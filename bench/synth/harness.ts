/**
 * What every synth benchmark app shares. Each app runs as `node <app>.js <n> <outdir>`
 * in a fresh process: it builds `n` patterns in one stack of a plain `App`,
 * synthesizes into `outdir` (and writes nothing else), and prints one JSON line
 * with its own timings and peak memory as it exits.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** The one stack of every app; our construct derives its queue names from it. */
export const STACK_NAME = 'SynthBench';

/** What the child prints on its last stdout line. */
export interface ChildReport {
  /** From process start to the first construct (node startup and the apps' top-level requires). */
  readonly loadMs: number;
  /** Building the `n` patterns. */
  readonly constructMs: number;
  /** `app.synth()`. */
  readonly synthMs: number;
  /** `process.resourceUsage().maxRSS` at exit, in KiB. */
  readonly maxRssKb: number;
}

/** The function of every pattern (ours, the floor and the anchor alike). */
export function functionProps(): lambda.FunctionProps {
  return {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    timeout: Duration.seconds(30),
  };
}

/** Builds `argv[2]` patterns with `build(stack, 'Pattern<i>')`, synthesizes into `argv[3]`, reports at exit. */
export function synthApp(build: (stack: Stack, id: string) => void): void {
  const n = Number(process.argv[2]);
  const outdir = process.argv[3];
  if (!Number.isInteger(n) || n < 0 || !outdir) {
    throw new Error(`usage: node <app>.js <patterns> <outdir>, got ${process.argv.slice(2).join(' ')}`);
  }
  const loaded = performance.now();
  const app = new App({ outdir });
  const stack = new Stack(app, STACK_NAME);
  for (let i = 0; i < n; i++) {
    build(stack, `Pattern${i}`);
  }
  const constructed = performance.now();
  app.synth();
  const synthesized = performance.now();
  process.on('exit', () => {
    const report: ChildReport = {
      loadMs: loaded,
      constructMs: constructed - loaded,
      synthMs: synthesized - constructed,
      maxRssKb: process.resourceUsage().maxRSS,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  });
}
