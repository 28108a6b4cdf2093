import * as fs from 'fs';
import * as path from 'path';
import { App, CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IRole } from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { AppConfigProfile } from '../src';

/**
 * The feature flags that `cdk init` writes into a new app's cdk.json: the
 * file aws-cdk-lib ships, read as it is.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const RECOMMENDED_FLAGS: Record<string, unknown> = require('aws-cdk-lib/recommended-feature-flags.json');

/** The settings users start from: a plain `App`, or the app `cdk init` creates (every recommended flag). */
export type FlagSet = 'plain' | 'recommended';
export const FLAG_SETS: FlagSet[] = ['plain', 'recommended'];

/**
 * An app whose synth runs AWS's offline CloudFormation validator (bundled in
 * aws-cdk-lib) and fails on any finding, as the demo app does; with
 * `'recommended'`, it also has every feature flag `cdk init` sets.
 */
export function newApp(flags: FlagSet = 'plain'): App {
  return new App({
    context: { ...(flags === 'recommended' ? RECOMMENDED_FLAGS : {}), '@aws-cdk/core:validateAgainstDefaultRules': true },
  });
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

/** Every IAM action granted on `resource` (as it appears in the template), across all policies and statements. */
export function actionsOn(template: Template, resource: unknown): string[] {
  const actions: string[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      if (statement.Effect === 'Allow' && resources.some((r: unknown) => JSON.stringify(r) === JSON.stringify(resource))) {
        actions.push(...(Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
      }
    }
  }
  return actions.sort();
}

/** A stack in a `newApp()` whose region (eu-west-1 unless given) and account are known, as AppConfig's extension layer needs. */
export function regionalStack(id = 'Test', region = 'eu-west-1', account = '111122223333'): Stack {
  return new Stack(newApp(), id, { env: { region, account } });
}

/** The CloudFormation resource (Type, Properties, DependsOn, ...) behind `construct`. */
export function resourceOf(stack: Stack, construct: IConstruct): any {
  const element = construct.node.defaultChild as CfnElement;
  return Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(element)];
}

/** The CloudFormation properties of the resource behind `construct`. */
export function propertiesOf(stack: Stack, construct: IConstruct): any {
  return resourceOf(stack, construct).Properties;
}

/** The properties of the only resource of `type` in the template. */
export function onlyProperties(template: Template, type: string): any {
  const resources = Object.values(template.findResources(type));
  expect(resources).toHaveLength(1);
  return resources[0].Properties;
}

/** Every statement of every IAM policy attached to `role`. */
export function statementsOf(template: Template, role: IRole): any[] {
  const roleRef = JSON.stringify({ Ref: logicalIdOf(role) });
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter(p => p.Properties.Roles.some((r: unknown) => JSON.stringify(r) === roleRef))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

/** The logical ID of the resource behind `construct` (or of `construct`, when it is one). */
export function logicalIdOf(construct: IConstruct): string {
  const element = (CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild) as CfnElement;
  return element.stack.getLogicalId(element);
}

/** The logical ID of the only resource of `type` in the template. */
export function onlyLogicalId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** The cdk-nag (and other) acknowledgements recorded on `scope` itself: `{ '<Prefix>::<RuleId>': reason }`. */
export function acknowledgementsOn(scope: IConstruct): Record<string, string> {
  return Object.assign({}, ...scope.node.metadata
    .filter(m => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .map(m => m.data as Record<string, string>));
}

/** The read grant of `profile` in every environment of its application, as the template of its (regional) stack renders it. */
export function profileReadArn(profile: AppConfigProfile): unknown {
  const stack = Stack.of(profile);
  return {
    'Fn::Join': ['', [
      'arn:', { Ref: 'AWS::Partition' }, `:appconfig:${stack.region}:${stack.account}:application/`,
      { Ref: logicalIdOf(profile.application) },
      '/environment/*/configuration/',
      { Ref: logicalIdOf(profile.configuration.node.findChild('ConfigurationProfile')) },
    ]],
  };
}


/** The ```js block of the README that starts with the line `// <name>`: a file the README shows, to run as written. */
export function readmeFile(name: string): string {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const match = new RegExp('```js\\n(// ' + name.replace(/\./g, '\\.') + '\\n[\\s\\S]*?)```').exec(readme);
  if (!match) throw new Error(`README has no \`\`\`js block starting with // ${name}`);
  return match[1];
}

/** An SQS record of a Lambda event, as the event source mapping delivers it. */
export function sqsRecord(messageId: string, body: string) {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000', SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: '1700000000001' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:orders',
    awsRegion: 'eu-west-1',
  };
}
