import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * An app whose synth runs AWS's offline CloudFormation validator (bundled in
 * aws-cdk-lib) and fails on any finding, as the demo app does.
 */
export function newApp(): App {
  return new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
}

/** A stack in a `newApp()`. */
export function newStack(id = 'Test'): Stack {
  return new Stack(newApp(), id);
}

/** The props of a small function that consumes SQS batches. */
export const handlerProps: lambda.FunctionProps = {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async (event) => ({ batchItemFailures: [] });'),
  timeout: Duration.seconds(30),
};

/** Replaces asset hashes so that snapshots do not change with the asset contents. */
export function maskAssetHashes(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}(\.zip|\.json)?/g, '[ASSET HASH]$1'));
}
