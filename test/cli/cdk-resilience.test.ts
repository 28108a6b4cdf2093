import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, NestedStack, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { buildDemoApp } from '../../demo/app';
import { ResilienceChecks, RetryBudget, RetryBudgetReport } from '../../src';
import { CliTemplateResult, EXIT } from '../../src/cli/cdk-resilience';
import { CONSUMER_YAML, consumerTemplate, consumerWithoutRedrive } from '../fixtures/templates';
import { handlerProps } from '../helpers';
import { runCli, writeFile } from './cli';

const ROOT = path.join(__dirname, '..', '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-resilience-cli-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A file in the test's folder with `content` (JSON unless a string). */
const file = (name: string, content: unknown) => writeFile(work, name, content);
const run = runCli;

/** The templates of a `--format json` run. */
function jsonRun(...args: string[]): { code: number; templates: CliTemplateResult[]; output: any } {
  const { code, out } = run('check', '--format', 'json', ...args);
  const output = JSON.parse(out);
  return { code, templates: output.templates, output };
}

/** Synthesizes an app to a folder of its own, with the path and asset metadata that the CDK CLI turns on. */
function synthesizedApp(build: (app: App) => void): { app: App; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(work, 'cdk.out-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true } });
  build(app);
  app.synth();
  return { app, outdir };
}

/** An app with findings of most rules: a consumer without redrive, a rule without dead-letter queues, subscriptions without redrive, a loop. */
function unsafeStack(stack: Stack): void {
  const queue = new sqs.Queue(stack, 'Orders');
  const fn = new lambda.Function(stack, 'Handler', handlerProps);
  fn.addEventSource(new sources.SqsEventSource(queue));
  const topic = new sns.Topic(stack, 'Notices');
  topic.addSubscription(new subs.LambdaSubscription(fn));
  topic.addSubscription(new subs.SqsSubscription(queue));
  topic.grantPublish(fn);
  new events.Rule(stack, 'Placed', { eventPattern: { source: ['shop'] }, targets: [new targets.LambdaFunction(fn), new targets.SqsQueue(queue)] });
}

/** `<rule> <level> <path> <message>` of each finding the plugin reports on `app`. */
function pluginFindings(app: App): string[] {
  return new ResilienceChecks(app).validateScope(app).violations
    .flatMap(v => v.violatingResources.map(r => `${v.ruleName} ${v.severity} ${r.constructPath} ${v.description}`)).sort();
}

/** The same for the command's findings. */
function cliFindings(templates: CliTemplateResult[]): string[] {
  return templates.flatMap(t => t.findings.map(f => `${f.rule} ${f.level} ${f.path} ${f.message}`)).sort();
}

describe('cdk-resilience check', () => {
  test('reports a queue that a function consumes without a redrive policy, and exits 1', () => {
    // GIVEN a hand-written template
    const template = file('orders.json', consumerWithoutRedrive());
    // WHEN
    const { code, out } = run('check', template);
    // THEN
    expect(code).toBe(EXIT.FINDINGS);
    expect(out).toContain(`orders (${template}): 5 resources\n`);
    expect(out).toContain('  ERROR   Resilience-SQS1  Orders\n          The SQS queue is consumed by a Lambda function or an EventBridge pipe and has no redrive policy');
    expect(out).toMatch(/ {2}WARNING Resilience-RetryBudget1 {2}Orders\n.*\(orders\/Orders → orders\/Handler ×1920: 1920 worst-case invocations, budget 25\)/);
    expect(out).toContain('  1920  orders/Orders → orders/Handler ×1920\n');
    expect(out).toMatch(/1 error\(s\), 1 warning\(s\) in 1 template\(s\)\n$/);
  });

  test('defaults: exits 0 on a safe template and prints its retry paths', () => {
    // GIVEN
    const template = file('safe.json', consumerTemplate());
    // WHEN
    const { code, out } = run('check', template);
    // THEN
    expect(code).toBe(EXIT.OK);
    expect(out).toContain('  no findings\n  Retry paths (worst-case invocations of the last hop per event; threshold 25):\n       5  safe/Orders → safe/Handler ×5\n');
  });

  test('honours acknowledgements in cdk-nag\'s cdk_nag metadata; --fail-on-warnings fails on the warnings left', () => {
    // GIVEN SQS1 acknowledged on the queue; RetryBudget1 (a warning) is not
    const template = file('acknowledged.json', consumerWithoutRedrive({ cdk_nag: { rules_to_suppress: [{ id: 'Resilience-SQS1', reason: 'drained by hand' }] } }));
    // WHEN
    const lenient = jsonRun(template);
    const strict = jsonRun('--fail-on-warnings', template);
    // THEN
    expect(lenient.code).toBe(EXIT.OK);
    expect(lenient.templates[0].findings.map(f => f.rule)).toEqual(['Resilience-RetryBudget1']);
    expect(strict.code).toBe(EXIT.FINDINGS);
  });

  test('--retry-budget-threshold moves the budget', () => {
    // GIVEN a path of 5 invocations
    const template = file('budget.json', consumerTemplate());
    // WHEN
    const { code, templates, output } = jsonRun('--retry-budget-threshold', '4', '--fail-on-warnings', template);
    // THEN
    expect(code).toBe(EXIT.FINDINGS);
    expect(output.retryBudgetThreshold).toBe(4);
    expect(templates[0].findings).toEqual([{
      rule: 'Resilience-RetryBudget1',
      level: 'warning',
      logicalId: 'Orders',
      message: expect.stringContaining('(budget/Orders → budget/Handler ×5: 5 worst-case invocations, budget 4)'),
    }]);
  });

  test('--format json: findings, retry paths and a summary, for CI', () => {
    // GIVEN
    const template = file('orders-json.json', consumerWithoutRedrive());
    // WHEN
    const { code, output } = jsonRun(template);
    // THEN
    expect(code).toBe(EXIT.FINDINGS);
    expect(output).toEqual({
      success: false,
      errors: 1,
      warnings: 1,
      retryBudgetThreshold: 25,
      templates: [{
        file: template,
        stack: 'orders-json',
        resources: 5,
        findings: [
          { rule: 'Resilience-SQS1', level: 'error', logicalId: 'Orders', message: expect.stringMatching(/^The SQS queue is consumed by a Lambda function/) },
          { rule: 'Resilience-RetryBudget1', level: 'warning', logicalId: 'Orders', message: expect.any(String) },
        ],
        retryPaths: [{ hops: ['orders-json/Orders', 'orders-json/Handler'], attempts: [1, 1920], worstCaseInvocations: 1920, cyclic: false, certainLoop: false }],
        retryPathsIncomplete: [],
      }],
      unreadable: [],
    });
  });

  test('--format markdown: a table of findings and the retry budget, for people', () => {
    // GIVEN
    const template = file('orders-md.json', consumerWithoutRedrive());
    // WHEN
    const { code, out } = run('check', '--format=markdown', template);
    // THEN
    expect(code).toBe(EXIT.FINDINGS);
    expect(out).toContain('## orders-md\n');
    expect(out).toContain('| Level | Rule | Resource | Finding |\n|---|---|---|---|\n| error | Resilience-SQS1 | `Orders` | The SQS queue is consumed');
    expect(out).toContain('| Path (hop ×attempts per event) | Worst-case invocations of the last hop |\n|---|---|\n| `orders-md/Orders` → `orders-md/Handler` ×1920 | 1920 |');
    expect(out).toContain('**1 error(s), 1 warning(s) in 1 template(s)**');
  });

  test('reads YAML with CloudFormation\'s short forms, and what only deployment decides does not stop it', () => {
    // GIVEN parameters, a condition, an import, !Sub and !GetAtt in its string form
    const template = file('orders.yaml', CONSUMER_YAML);
    // WHEN
    const { code, templates } = jsonRun(template);
    // THEN both mappings lead to the queue (one through !Sub, one through !GetAtt); its receives rest on a visibility
    // timeout that is a parameter (!Ref BatchSize), so the count is unknown and no RetryBudget1 rests on it
    expect(code).toBe(EXIT.FINDINGS);
    expect(templates[0].findings.map(f => `${f.rule} ${f.logicalId}`)).toEqual(['Resilience-SQS1 Orders']);
    expect(templates[0].retryPaths.map(p => [p.hops, p.countUnknown])).toEqual([[['orders/Orders', 'orders/Handler'], true]]);
    // and with the parameter's value, they are counted
    const valued = jsonRun('--parameter', 'BatchSize=60', template);
    expect(valued.templates[0].findings.map(f => `${f.rule} ${f.logicalId}`)).toEqual(['Resilience-SQS1 Orders', 'Resilience-RetryBudget1 Orders']);
    expect(valued.templates[0].retryPaths.map(p => [p.attempts, p.countUnknown])).toEqual([[[1, 5760], undefined]]);
  });

  test('expands a template with the AWS SAM transform instead of leaving what it creates unchecked (see sam.test.ts)', () => {
    // GIVEN a SAM template of plain resources only
    const template = file('sam.json', { ...consumerTemplate(), Transform: 'AWS::Serverless-2016-10-31' });
    // WHEN
    const { code, out, err } = run('check', template);
    // THEN nothing is left unchecked, so nothing is said on stderr
    expect(code).toBe(EXIT.OK);
    expect(err).toBe('');
    expect(out).toContain(`sam (${template}): 5 resources (after AWS::Serverless-2016-10-31)\n  no findings\n`);
  });

  test('checks every template given', () => {
    // GIVEN
    const files = [file('one.json', consumerTemplate()), file('two.json', consumerWithoutRedrive())];
    // WHEN
    const { code, templates } = jsonRun(...files);
    // THEN
    expect(code).toBe(EXIT.FINDINGS);
    expect(templates.map(t => `${t.stack} ${t.findings.length}`)).toEqual(['one 0', 'two 2']);
  });

  test.each([
    ['no command', [], /no command given/],
    ['an unknown command', ['lint', 'x.json'], /unknown command 'lint'/],
    ['no input', ['check'], /give a cdk.out directory or one or more template files/],
    ['an unknown format', ['check', '--format', 'xml', 'x.json'], /--format must be one of text, json, markdown, got 'xml'/],
    ['a threshold out of range', ['check', '--retry-budget-threshold', '0', 'x.json'], /--retry-budget-threshold must be a whole number between 1 and 1000000, got '0'/],
    ['an unknown option', ['check', '--strict', 'x.json'], /unknown option '--strict'/],
  ])('fails with exit code 2 on %s, with the usage', (_name, args, message) => {
    // WHEN
    const { code, out, err } = run(...args);
    // THEN
    expect(code).toBe(EXIT.USAGE);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(err).toContain('Usage: cdk-resilience check [options] <cdk.out directory | template file...>');
  });

  test('fails with exit code 2 on what it cannot read', () => {
    // GIVEN
    const missing = path.join(work, 'missing.json');
    const notJson = file('broken.json', '{ "Resources": ');
    const notTemplate = file('package.json', { name: 'x' });
    const notAssembly = fs.mkdtempSync(path.join(work, 'empty-'));
    // WHEN / THEN
    expect(run('check', missing)).toEqual({ code: EXIT.USAGE, out: '', err: expect.stringContaining(`cannot read '${missing}': no such file or directory`) });
    expect(run('check', notJson).err).toMatch(/cannot read '.*broken.json': not valid JSON/);
    expect(run('check', notTemplate).err).toMatch(/cannot read '.*package.json': not a CloudFormation template \(no Resources\)/);
    expect(run('check', notAssembly).err).toMatch(/a directory must be a cloud assembly \(cdk.out\) with a manifest.json/);
    expect(run('check', notJson).code).toBe(EXIT.USAGE);
  });

  test('-h prints the usage and exits 0', () => {
    expect(run('--help')).toEqual({ code: EXIT.OK, out: expect.stringContaining('Exit codes: 0 no failing finding, 1 failing findings, 2 bad usage'), err: '' });
  });

  test('a cdk.out directory: every stack, in stages and nested, with the acknowledgements Validations.acknowledge() recorded', () => {
    // GIVEN an app with a stack, a nested stack and a stage, and an acknowledgement on an L2
    const { app, outdir } = synthesizedApp(a => {
      const shop = new Stack(a, 'Shop');
      unsafeStack(shop);
      Validations.of(shop.node.findChild('Orders')).acknowledge({ id: 'Resilience-SQS1', reason: 'drained by hand' });
      unsafeStack(new NestedStack(shop, 'Billing'));
      unsafeStack(new Stack(new Stage(a, 'Prod'), 'Shop'));
    });
    // WHEN
    const { code, templates } = jsonRun(outdir);
    // THEN
    expect(code).toBe(EXIT.FINDINGS);
    expect(templates.map(t => t.stack)).toEqual(['Prod/Shop', 'Shop', 'Shop/Billing']);
    expect(templates.map(t => path.relative(outdir, t.file))).toEqual([
      expect.stringMatching(/^assembly-Prod\/ProdShop[0-9A-F]{8}\.template\.json$/), 'Shop.template.json', expect.stringMatching(/^ShopBilling[0-9A-F]+\.nested\.template\.json$/),
    ]);
    const sqs1 = templates.map(t => t.findings.filter(f => f.rule === 'Resilience-SQS1').map(f => f.path));
    expect(sqs1).toEqual([['Prod/Shop/Orders/Resource'], [], ['Shop/Billing/Orders/Resource']]);
    expect(cliFindings(templates)).toEqual(pluginFindings(app));
  });

  test('runs as a program', () => {
    // GIVEN
    const template = file('program.json', consumerWithoutRedrive());
    // WHEN the entry runs in a process of its own, as `npx cdk-resilience` runs its compiled form
    const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'ts-node'), ['--project', 'tsconfig.dev.json', 'src/cli/cdk-resilience.ts', 'check', template], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    });
    // THEN
    expect(result.stderr).toBe('');
    expect(result.status).toBe(EXIT.FINDINGS);
    expect(result.stdout).toContain('ERROR   Resilience-SQS1  Orders');
    expect(fs.readFileSync(path.join(ROOT, 'src', 'cli', 'cdk-resilience.ts'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });
});

describe('cdk-resilience check and the plugin on the same app', () => {
  test('the demo app: the same findings and the same retry budget', () => {
    // GIVEN the demo app, synthesized as the CDK CLI does
    const { app, outdir } = synthesizedApp(a => buildDemoApp(a));
    // WHEN
    const { code, templates } = jsonRun(outdir);
    // THEN
    expect(code).toBe(EXIT.OK);
    expect(cliFindings(templates)).toEqual(pluginFindings(app));
    const budget = RetryBudget.analyze(app).toMarkdown();
    expect(new RetryBudgetReport(templates[0].retryPaths).toMarkdown()).toBe(budget);
    const template = JSON.parse(fs.readFileSync(templates[0].file, 'utf8'));
    expect(RetryBudget.fromTemplate(template).toMarkdown()).toBe(budget);
    expect(budget).toContain('`CdkResilienceDemo/Orders/Queue` → `CdkResilienceDemo/Orders/Function` ×5 → `CdkResilienceDemo/OrderEvents`');
  });

  test('an app with findings of most rules: the same findings, numbers included, and the same retry budget', () => {
    // GIVEN
    const { app, outdir } = synthesizedApp(a => unsafeStack(new Stack(a, 'Unsafe')));
    // WHEN
    const { code, templates } = jsonRun(outdir);
    // THEN
    expect(code).toBe(EXIT.FINDINGS);
    const plugin = pluginFindings(app);
    expect(cliFindings(templates)).toEqual(plugin);
    expect(plugin.map(f => f.split(' ')[0])).toEqual(expect.arrayContaining([
      'Resilience-EventBridge1', 'Resilience-EventBridge2', 'Resilience-Lambda1', 'Resilience-RetryBudget1', 'Resilience-SNS1', 'Resilience-SQS1', 'Resilience-SQS3',
    ]));
    expect(new RetryBudgetReport(templates[0].retryPaths).toMarkdown()).toBe(RetryBudget.analyze(app).toMarkdown());
  });
});
