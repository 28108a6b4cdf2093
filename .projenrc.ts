import * as fs from 'fs';
import { awscdk, javascript, JsonFile, typescript } from 'projen';

/**
 * The lowest aws-cdk-lib that provides what the library and its tests use (see README, "Requirements"):
 * 2.262 bundles AWS's offline template validator and the validateAgainstDefaultRules flag; 2.269 bundles
 * a validator that runs on Node.js 20 and accepts acknowledgements of cdk-nag findings whose ids contain '::'.
 */
const CDK_FLOOR = '2.269.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-resilience',
  description: 'Safe-by-default AWS CDK constructs for resilient serverless applications: queues with dead-letter queues and partial batch responses, Lambda destinations, stream consumers, SNS fan-out, archived event buses, gradual configuration, circuit breakers, idempotency, AWS FIS experiments, and checks for any app or template.',
  author: 'cdk-resilience maintainers',
  authorAddress: 'maintainers@users.noreply.r-seed-7ecef539.example',
  repositoryUrl: 'https://github.com/cdk-resilience/cdk-resilience.git',
  keywords: ['cdk', 'awscdk', 'aws-cdk', 'resilience', 'serverless', 'lambda', 'sqs', 'dead-letter-queue', 'eventbridge', 'appconfig', 'circuit-breaker', 'chaos-engineering', 'kinesis', 'dynamodb-streams', 'sns', 'idempotency', 'fis'],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  projenrcTsOptions: { runner: typescript.TypeScriptRunner.tsNode({ tsconfig: 'tsconfig.dev.json' }) },
  tsconfigDevFile: 'tsconfig.dev.json',

  cdkVersion: CDK_FLOOR,
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  minNodeVersion: '20.16.0',

  // Nothing is published from here; the targets are configured so the library is ready for every jsii language.
  github: false,
  release: false,
  publishToPypi: { distName: 'cdk-resilience', module: 'cdk_resilience' },
  publishToMaven: {
    javaPackage: 'io.github.cdkresilience',
    mavenGroupId: 'io.github.cdk-resilience',
    mavenArtifactId: 'cdk-resilience',
  },
  publishToNuget: { dotNetNamespace: 'CdkResilience', packageId: 'CdkResilience' },
  publishToGo: { moduleName: 'github.com/cdk-resilience/cdk-resilience-go' },

  prettier: false,
  eslint: true,
  // Lint src, test and demo with the dev tsconfig, which includes them all.
  eslintOptions: { dirs: ['src'], devdirs: ['test', 'demo', 'bench'], tsconfigPath: './tsconfig.dev.json', projectService: false },
  jestOptions: {
    // Snapshots never update themselves: `npm test` runs jest with --ci; use `npx projen test:update` to accept changes.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testTimeout: 180_000,
      coverageReporters: ['text-summary'],
      // Jest's default leaves one core to its parent process, which only waits: on a 2-core runner that
      // halves the suite's speed. Every core runs tests (the suite's servers listen on random ports).
      maxWorkers: '100%',
    },
  },
  // Bundled into the package (jsii needs non-jsii dependencies bundled): validates JSON Schema at synth time.
  bundledDeps: ['ajv@^8'],
  // ResilienceChecks is a cdk-nag rule pack: users register it next to the packs they already run.
  peerDeps: ['cdk-nag@^3.0.2'],
  devDeps: [
    'aws-cdk@^2.1100.0',
    '@aws-lambda-powertools/batch@^2',
    '@aws-lambda-powertools/idempotency@^2',
    '@aws-sdk/lib-dynamodb@^3',
    '@aws-sdk/client-eventbridge@^3',
    'aws-sdk-client-mock@^4',
    '@aws-sdk/client-dynamodb@^3',
    '@aws-sdk/client-sqs@^3',
    'typedoc@^0.28',
    'typedoc-plugin-markdown@^4',
    'dynalite@^4',
    'circuitbreaker-lambda@0.0.1',
    'failure-lambda@0.4.4',
    'opossum@^9',
    '@aws-solutions-constructs/aws-sqs-lambda@2.104.0',
    // A Velocity engine: tests evaluate QueueBackedApi's API Gateway mapping templates with real request bodies.
    'velocityjs@^2',
  ],
  // Handlers the library deploys (src/*.lambda.ts) are bundled by esbuild; the
  // Lambda runtime provides the AWS SDK v3, so it is never bundled. No runtime is
  // fixed here: the generated construct takes `props.runtime`, and the constructs
  // pass the newest Node.js runtime the app's aws-cdk-lib knows (src/private/runtimes.ts),
  // which cdk-nag's AwsSolutions-L1 asks for on every aws-cdk-lib release.
  lambdaAutoDiscover: true,
  lambdaOptions: {
    bundlingOptions: { externals: ['@aws-sdk/*'], sourcemap: false },
  },
  gitignore: ['cdk.out', 'demo/cdk.out', '.jsii.tabl.json', '*.tabl.json'],
  // `npx cdk-resilience check <cdk.out | template...>`: the checks on any CloudFormation template (src/cli).
  bin: { 'cdk-resilience': 'lib/cli/cdk-resilience.js' },
});

// `cdk-resilience/runtime`: code for users' Lambda handlers, next to jsii's own entry points.
// Each runtime helper also has its own entry.
// Bundlers (the `module` condition) get an ES module build, which they tree-shake: a handler
// that imports one helper from `cdk-resilience/runtime` bundles that helper only. Node gets CommonJS.
const runtimeModule = (name: string) => ({
  types: `./lib/runtime/${name}.d.ts`,
  module: `./lib/runtime-esm/${name}.js`,
  default: `./lib/runtime/${name}.js`,
});
project.package.addField('sideEffects', false);
project.compileTask.exec('tsc --ignoreConfig src/runtime/index.ts --rootDir src/runtime --outDir lib/runtime-esm '
  + '--module es2022 --target es2022 --moduleResolution bundler --esModuleInterop --skipLibCheck --types node');
project.package.addField('exports', {
  '.': { types: './lib/index.d.ts', default: './lib/index.js' },
  './runtime': runtimeModule('index'),
  './runtime/circuit-breaker': runtimeModule('circuit-breaker'),
  './runtime/failure-injection': runtimeModule('failure-injection'),
  './runtime/configuration': runtimeModule('configuration'),
  './runtime/batch-deferral': runtimeModule('batch-deferral'),
  './runtime/deadline': runtimeModule('deadline'),
  // Helpers for users' own handler tests: a local AppConfig extension, a circuit breaker client for a local endpoint.
  './testing': { types: './lib/testing/index.d.ts', default: './lib/testing/index.js' },
  './.jsii': './.jsii',
  './package.json': './package.json',
});
// TypeScript with the older `node` module resolution ignores `exports`.
project.package.addField('typesVersions', {
  '*': { 'runtime': ['lib/runtime/index.d.ts'], 'runtime/*': ['lib/runtime/*.d.ts'], 'testing': ['lib/testing/index.d.ts'] },
});

// Benchmarks run outside the test suite and print their figures as ratios against a baseline.
project.addTask('bench', {
  description: 'Run the benchmarks',
  steps: [
    { exec: 'ts-node --project tsconfig.dev.json bench/circuit-breaker.bench.ts' },
    { exec: 'ts-node --project tsconfig.dev.json bench/failure-injection.bench.ts' },
    { exec: 'ts-node --project tsconfig.dev.json bench/synth.bench.ts' },
    { exec: 'ts-node --project tsconfig.dev.json bench/runtime-bundles.bench.ts' },
    { exec: 'ts-node --project tsconfig.dev.json bench/checks-scale.bench.ts' },
  ],
});

// Tests written in plain JavaScript (test/**/*.test.js) hold the runtime's refusals where no compiler checks types.
project.jest?.addTestMatch('<rootDir>/test/**/*.test.js');

// Tests synthesize the bundled handlers, so `npm test` bundles them first.
const bundle = project.tasks.tryFind('bundle');
if (bundle) {
  project.testTask.prependSpawn(bundle);
}

// A fast inner loop: every test but the integration tests of test/integration (the packed package installed
// into a fresh app, the demo through the CDK CLI), which `npm test` runs too.
project.addTask('test:fast', {
  description: 'Run the unit and runtime tests, without the slow integration tests',
  steps: [
    ...(bundle ? [{ spawn: bundle.name }] : []),
    { exec: 'jest --passWithNoTests --ci --coverage=false --testPathIgnorePatterns /node_modules/ /test/integration/', receiveArgs: true },
  ],
});

// README examples are compiled by jsii-rosetta in strict mode.
project.package.addField('jsii', {
  ...project.package.manifest.jsii,
  metadata: { jsii: { rosetta: { strict: true } } },
});
const rosetta = project.addTask('rosetta:extract', {
  description: 'Compile the README examples (strict)',
  exec: 'jsii-rosetta extract --strict --compile',
});
project.postCompileTask.spawn(rosetta);

// The runtime API reference (cdk-resilience/runtime and cdk-resilience/testing are not part of the jsii API,
// so API.md does not cover them): generated from their TSDoc by TypeDoc, next to API.md; CI fails when it is stale.
const runtimeDocs = project.addTask('docgen:runtime', {
  description: 'Generate the runtime API reference from the TSDoc of cdk-resilience/runtime and cdk-resilience/testing',
  exec: 'typedoc --options typedoc.json',
});
project.postCompileTask.spawn(runtimeDocs);

// The package ships what a user runs or reads: the library, its docs and the bundled handlers; not the
// demo, the benchmarks or the tools' configuration (the README links them in the repository).
project.npmignore?.exclude('/demo/', '/rosetta/', '/.ci/', '/cdk.out/', '/cdk.json', '/bench/', '/typedoc.json');

// The demo CDK app, synthesized with the real CDK CLI; `npx cdk deploy` deploys it. Like an app that
// `cdk init` creates, its cdk.json sets every feature flag aws-cdk-lib recommends (read from the file
// aws-cdk-lib ships), and AWS's offline template validator fails the synth on any finding.
new JsonFile(project, 'cdk.json', {
  obj: {
    app: 'npx ts-node --prefer-ts-exts --project tsconfig.dev.json demo/app.ts',
    output: 'demo/cdk.out',
    context: {
      ...JSON.parse(fs.readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8')),
      '@aws-cdk/core:validateAgainstDefaultRules': true,
    },
  },
});
// The demo task bundles the handlers the library deploys first, so that `npm ci && npm run demo` works on a
// fresh clone before anything else has run.
project.addTask('demo', {
  description: 'Synthesize the demo app with the CDK CLI and print its resilience summary',
  steps: [
    ...(bundle ? [{ spawn: bundle.name }] : []),
    { exec: 'cdk synth --quiet --no-notices' },
    { exec: 'ts-node --project tsconfig.dev.json demo/summary.ts demo/cdk.out' },
  ],
});

project.tsconfigDev.addInclude('.projenrc.ts');
// .projenrc.ts runs with tsconfig.dev.json; the separate projenrc tsconfig is not needed.
project.tryRemoveFile('projenrc/tsconfig.json');

project.synth();
