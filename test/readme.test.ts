import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readmeFile, sqsRecord } from './helpers';

/**
 * The README's handler example is run as written, with Powertools for AWS
 * Lambda, against an SQS batch (Lambda's own event shape) that holds one bad message.
 */
const ROOT = path.join(__dirname, '..');

/** How long each test of a README example may take in the jest run it gets (the suite's own limit, 180 s, bounds the whole run). */
const NESTED_TEST_TIMEOUT = 120_000;

/**
 * Runs the README's example files (a module and its test, as the README names them) with jest, in a folder of
 * their own, as a user would: the package's subpaths resolve to the library's sources (compiled by ts-jest),
 * other packages (dynalite, the AWS SDK) to the project's. With `noAwsSettings`, the run has no AWS_* variables
 * of its own (the example sets what it needs). Returns each test's title, status and failure messages.
 */
function runReadmeExample(files: readonly string[], noAwsSettings: boolean): Array<[string, string, string[]]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-example-'));
  for (const file of files) fs.writeFileSync(path.join(dir, file), readmeFile(file));
  const config = {
    rootDir: dir,
    testEnvironment: 'node',
    modulePaths: [path.join(ROOT, 'node_modules')],
    moduleNameMapper: { '^cdk-resilience/(.*)$': path.join(ROOT, 'src', '$1') },
    transform: { '^.+\\.ts$': [require.resolve('ts-jest'), { tsconfig: path.join(ROOT, 'tsconfig.dev.json'), isolatedModules: true }] },
    // jest's default of 5 s per test is no room for ts-jest compiling the library on a loaded machine; a failing test still fails
    testTimeout: NESTED_TEST_TIMEOUT,
  };
  const env: NodeJS.ProcessEnv = { ...process.env, JEST_WORKER_ID: undefined };
  if (noAwsSettings) for (const name of Object.keys(env).filter(n => n.startsWith('AWS_'))) delete env[name];
  try {
    const run = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--ci', '--config', JSON.stringify(config), '--json'], {
      cwd: dir, encoding: 'utf8', env,
    });
    return JSON.parse(run.stdout).testResults[0].assertionResults.map((a: any) => [a.title, a.status, a.failureMessages]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('README', () => {
  test('the local test example passes with jest, cdk-resilience/runtime and cdk-resilience/testing', () => {
    // GIVEN / WHEN the handler and its test from the README, run with jest as a user would
    const results = runReadmeExample(['orders.js', 'orders.test.js'], false);
    // THEN both tests pass
    expect(results).toEqual([
      ['refuses an order above the configured limit', 'passed', []],
      ['answers 503 while the chaos experiment injects it', 'passed', []],
    ]);
  });

  test('the queue consumer example passes with jest, dynalite, the local SQS and an open circuit', () => {
    // GIVEN / WHEN the consumer and its test from the README, with no AWS settings of their own
    const results = runReadmeExample(['consumer.js', 'consumer.test.js'], true);
    // THEN the test passes
    expect(results).toEqual([
      ['while payments are down, no order is lost and none spends a receive', 'passed', []],
    ]);
  });

  test('the deadline example answers a payments API that hangs before the timeout, with jest, dynalite and a hanging server', () => {
    // GIVEN / WHEN the handler and its test from the README, with no AWS settings of their own
    const results = runReadmeExample(['charge.js', 'charge.test.js'], true);
    // THEN the test passes
    expect(results).toEqual([
      ['payments that hang get a 503 before the timeout, and the circuit counts the failure', 'passed', []],
    ]);
  });

  test('the handler example reports only the message it could not process', () => {
    // GIVEN the handler from the README, where Node.js resolves the project's packages
    const dir = path.join(ROOT, 'node_modules', '.cache', 'readme-handler');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.mjs'), readmeFile('index.mjs'));
    const event = { Records: [sqsRecord('good-1', '{"id":"o-1"}'), sqsRecord('bad-2', '{"total":3}'), sqsRecord('good-3', '{"id":"o-3"}')] };
    // WHEN Lambda would invoke it with the batch
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
      const { handler } = await import(${JSON.stringify(path.join(dir, 'index.mjs'))});
      const result = await handler(${JSON.stringify(event)}, { functionName: 'orders', awsRequestId: 'r-1' });
      process.stdout.write(JSON.stringify(result));
    `], { encoding: 'utf8', env: { ...process.env, POWERTOOLS_DEV: 'false' } });
    // THEN only the bad message goes back to the queue
    expect(JSON.parse(out)).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad-2' }] });
  });
});
