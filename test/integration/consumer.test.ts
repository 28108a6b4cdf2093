import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Proves that `npm install cdk-resilience` works: the library is compiled by
 * jsii and packed as it would be published, installed into a fresh CDK app in
 * a temporary folder with its peer dependencies from the npm registry (or the
 * local npm cache), and synthesized there with the CDK CLI.
 */
const ROOT = path.join(__dirname, '..', '..');
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, stdio: 'pipe', encoding: 'utf8', env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' } });
const installed = (pkg: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;

describe('published package', () => {
  test('installs into a fresh CDK app and synthesizes with the CDK CLI, bundled handlers included', () => {
    // GIVEN the library, compiled and packed as it is published
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-'));
    run('npx', ['projen', 'compile'], ROOT);
    const tarball = run('npm', ['pack', '--silent', '--pack-destination', work], ROOT).trim().split('\n').pop()!;

    // WHEN a fresh app installs it with its peer dependencies
    const app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({
      name: 'consumer-app',
      private: true,
      dependencies: {
        'cdk-resilience': `file:../${tarball}`,
        'aws-cdk-lib': installed('aws-cdk-lib'),
        'constructs': installed('constructs'),
        'cdk-nag': installed('cdk-nag'),
        // to bundle and type-check a handler that imports cdk-resilience/runtime
        'esbuild': installed('esbuild'),
        'typescript': installed('typescript'),
        '@types/node': installed('@types/node'),
        '@aws-sdk/client-dynamodb': installed('@aws-sdk/client-dynamodb'),
      },
    }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);
    fs.writeFileSync(path.join(app, 'app.js'), `
      const { App, Duration, Stack, Validations } = require('aws-cdk-lib');
      const lambda = require('aws-cdk-lib/aws-lambda');
      const nodejs = require('aws-cdk-lib/aws-lambda-nodejs');
      const { AwsSolutionsChecks, ServerlessChecks } = require('cdk-nag');
      const { ArchivedEventBus, CircuitBreakerTable, QueueDecoupledFunction, ResilienceChecks } = require('cdk-resilience');
      // the newest Node.js runtime this aws-cdk-lib knows, as cdk-nag's AwsSolutions-L1 asks
      const newestNode = lambda.Runtime.ALL
        .filter(r => r.family === lambda.RuntimeFamily.NODEJS && !r.isVariable && /^nodejs\\d+\\.x$/.test(r.name))
        .reduce((a, b) => parseInt(b.name.slice(6), 10) > parseInt(a.name.slice(6), 10) ? b : a);
      const app = new App();
      // the packs a user runs, with cdk-nag as the app's own dependency: synth fails on any error finding
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app), new ResilienceChecks(app));
      const stack = new Stack(app, 'Consumer', { env: { region: 'eu-west-1' } });
      // the user's own choices for their functions, acknowledged as a user would
      const userChoices = (fn, invokedBy) => Validations.of(fn).acknowledge(
        { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: 'logs only' },
        { id: 'Serverless-LambdaTracing', reason: 'no tracing in this app' },
        ...(invokedBy ? [{ id: 'Serverless-LambdaDLQ', reason: invokedBy + ' invokes it synchronously' }] : []));
      const bundled = (id, entry) => new nodejs.NodejsFunction(stack, id, {
        entry,
        runtime: newestNode,
        memorySize: 256,
        timeout: Duration.seconds(10),
        bundling: { minify: true, externalModules: ['@aws-sdk/*'] },
      });
      const orders = new QueueDecoupledFunction(stack, 'Orders', {
        functionProps: {
          runtime: newestNode,
          memorySize: 256,
          handler: 'index.handler',
          code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
          timeout: Duration.seconds(20),
        },
      });
      userChoices(orders.function);
      new ArchivedEventBus(stack, 'Events');
      const payments = bundled('Payments', 'handler.ts');
      userChoices(payments, 'the checkout API');
      new CircuitBreakerTable(stack, 'Circuits').attachTo(payments);
      // a NodejsFunction the user brings to a pattern needs no acknowledgement of the pattern's own
      const settings = bundled('Settings', 'settings.ts');
      userChoices(settings);
      new QueueDecoupledFunction(stack, 'SettingsChanges', { function: settings });
      app.synth();
    `);
    fs.writeFileSync(path.join(app, 'handler.ts'), `
      import { CircuitBreaker, CircuitOpenError } from 'cdk-resilience/runtime/circuit-breaker';
      import { CircuitState } from 'cdk-resilience/runtime';
      export const states: CircuitState[] = ['CLOSED'];
      const breaker = new CircuitBreaker({ circuitId: 'payments-api', failureThreshold: 3 });
      export const handler = async (): Promise<string> => {
        try {
          return await breaker.fire(async () => 'paid');
        } catch (error) {
          return error instanceof CircuitOpenError ? 'try later' : 'failed';
        }
      };
    `);
    fs.writeFileSync(path.join(app, 'settings.ts'), `
      import { getConfiguration } from 'cdk-resilience/runtime/configuration';
      export const handler = async (): Promise<unknown> => getConfiguration();
    `);
    // ... a local run of a handler with cdk-resilience/testing
    fs.writeFileSync(path.join(app, 'local.ts'), `
      import { getConfiguration } from 'cdk-resilience/runtime/configuration';
      import { startLocalAppConfigExtension } from 'cdk-resilience/testing';
      export async function main(): Promise<unknown> {
        const extension = await startLocalAppConfigExtension();
        extension.serve('/applications/a/environments/e/configurations/p', { limit: 3 });
        try {
          return await getConfiguration({ path: '/applications/a/environments/e/configurations/p', port: extension.port });
        } finally {
          await extension.stop();
        }
      }
    `);
    // ... the handlers type-check against the published types, with Node.js module resolution
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', noEmit: true, skipLibCheck: true, types: ['node'] },
      files: ['handler.ts', 'settings.ts', 'local.ts'],
    }));
    run(path.join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], app);
    // ... and the CDK CLI synthesizes it, as a plain app and as an app \`cdk init\` created (its cdk.json
    // sets every recommended feature flag), with the offline template validator failing on any finding
    const cdk = (...args: string[]) => run(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', ...args], app);
    cdk('--app', 'node app.js', '--context', '@aws-cdk/core:validateAgainstDefaultRules=true', '--output', 'cdk.out.plain');
    const recommended = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', 'aws-cdk-lib', 'recommended-feature-flags.json'), 'utf8'));
    fs.writeFileSync(path.join(app, 'cdk.json'), JSON.stringify({
      app: 'node app.js',
      context: { ...recommended, '@aws-cdk/core:validateAgainstDefaultRules': true },
    }));
    cdk('--output', 'cdk.out');
    expect(fs.existsSync(path.join(app, 'cdk.out.plain', 'Consumer.template.json'))).toBe(true);

    // ... and the local run reads its configuration from the stand-in extension
    const local = run('node', ['-e', `
      const ts = require('typescript');
      const js = ts.transpileModule(require('fs').readFileSync('local.ts', 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText;
      const m = { exports: {} };
      new Function('require', 'module', 'exports', js)(require, m, m.exports);
      m.exports.main().then(result => process.stdout.write(JSON.stringify(result)));
    `], app);
    expect(JSON.parse(local)).toEqual({ limit: 3 });

    // THEN the library came from the tarball, and the template has what it promises
    expect(fs.realpathSync(path.join(app, 'node_modules', 'cdk-resilience'))).not.toContain(ROOT);
    expect(fs.existsSync(path.join(app, 'node_modules', 'cdk-resilience', '.jsii'))).toBe(true);
    const template = JSON.parse(fs.readFileSync(path.join(app, 'cdk.out', 'Consumer.template.json'), 'utf8'));
    const resources = Object.values<any>(template.Resources);
    const mapping = resources.find(r => r.Type === 'AWS::Lambda::EventSourceMapping');
    expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    const source = resources.find(r => r.Type === 'AWS::SQS::Queue' && r.Properties.RedrivePolicy);
    expect(source.Properties.VisibilityTimeout).toBe(120);
    expect(source.Properties.RedrivePolicy.maxReceiveCount).toBe(5);

    // the replay function's bundled handler shipped in the package and became an asset
    const replayFunction = resources.find(r => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.ARCHIVE_ARN);
    const assetPath = path.join(app, 'cdk.out', replayFunction.Metadata['aws:asset:path'], 'index.js');
    expect(fs.readFileSync(assetPath, 'utf8')).toContain('StartReplayCommand');

    // the NodejsFunction bundled cdk-resilience/runtime, and not the AWS SDK
    const paymentsFunction = resources.find(r => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.CIRCUIT_BREAKER_TABLE);
    const bundle = fs.readFileSync(path.join(app, 'cdk.out', paymentsFunction.Metadata['aws:asset:path'], 'index.js'), 'utf8');
    expect(bundle).toContain('CircuitOpenError');
    expect(bundle).toContain('require("@aws-sdk/client-dynamodb")');
    expect(bundle).not.toContain('aws-cdk-lib');
    // importing the helper's own entry bundles that helper only
    expect(bundle).not.toContain('FAILURE_INJECTION');
    expect(bundle.length).toBeLessThan(30_000);
    // importing one helper from cdk-resilience/runtime itself bundles that helper only (ES module build)
    const settingsFunction = resources.find(r => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:cdk:path']?.startsWith('Consumer/Settings/'));
    const settings = fs.readFileSync(path.join(app, 'cdk.out', settingsFunction.Metadata['aws:asset:path'], 'index.js'), 'utf8');
    expect(settings).toContain('APPCONFIG_CONFIGURATION_PATH');
    expect(settings).not.toContain('ConditionalCheckFailedException');
    expect(settings).not.toContain('FAILURE_INJECTION');

    // the command line, from the installed package's bin: a plain template with a consumed queue without redrive fails
    // it (exit code 1), and the app's own cloud assembly, which synthesized with no error finding, passes
    fs.writeFileSync(path.join(app, 'plain.json'), JSON.stringify({
      Resources: {
        Orders: { Type: 'AWS::SQS::Queue' },
        Handler: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler', Role: 'arn:aws:iam::111122223333:role/r', Code: { ZipFile: 'x' } } },
        Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: { 'Fn::GetAtt': ['Orders', 'Arn'] }, FunctionName: { Ref: 'Handler' } } },
      },
    }));
    const cli = (...args: string[]) => spawnSync('npx', ['--no-install', 'cdk-resilience', 'check', ...args], { cwd: app, encoding: 'utf8' });
    const unsafe = cli('plain.json');
    expect(unsafe.status).toBe(1);
    expect(unsafe.stdout).toContain('ERROR   Resilience-SQS1  Orders');
    expect(unsafe.stdout).toContain('ERROR   Resilience-SQS3  Mapping');
    const own = cli('--format', 'json', 'cdk.out');
    expect(own.stderr).toBe('');
    expect(own.status).toBe(0);
    expect(JSON.parse(own.stdout)).toMatchObject({ success: true, errors: 0, templates: [{ stack: 'Consumer' }] });

    fs.rmSync(work, { recursive: true, force: true });
  });
});
