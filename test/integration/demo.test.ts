import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { buildDemoApp } from '../../demo/app';
import { summarize } from '../../demo/summary';
import { acknowledgementsOn, FLAG_SETS, newApp } from '../helpers';

const ROOT = path.join(__dirname, '..', '..');

describe('demo app', () => {
  test.each(FLAG_SETS)('synthesizes with no unacknowledged cdk-nag, ResilienceChecks or CloudFormation validator finding, %s App', (flags) => {
    // GIVEN the demo app, with AwsSolutions, Serverless and Resilience checks and the validator failing synth on findings
    const app = buildDemoApp(newApp(flags));
    // WHEN / THEN synth throws on any unacknowledged error
    expect(() => app.synth()).not.toThrow();
  });

  test('every acknowledgement carries a reason', () => {
    // GIVEN
    const app = buildDemoApp(newApp());
    // WHEN
    const acknowledgements = collectAcknowledgements(app);
    // THEN
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const ack of acknowledgements) {
      expect(ack.reason.length).toBeGreaterThan(20);
    }
  });

  test('the checks it runs do report a queue that is not safe', () => {
    // GIVEN a plain queue with no dead-letter queue, no TLS policy
    const app = newApp();
    const stack = new Stack(app, 'Unsafe');
    new sqs.Queue(stack, 'Plain');
    // WHEN
    const reports = [new AwsSolutionsChecks(app).validateScope(stack), new ServerlessChecks(app).validateScope(stack)];
    // THEN the same packs the demo runs fail it
    const ruleNames = reports.flatMap(r => r.violations.map(v => v.ruleName));
    expect(ruleNames).toEqual(expect.arrayContaining([expect.stringMatching(/AwsSolutions-SQS3/), expect.stringMatching(/AwsSolutions-SQS4/), expect.stringMatching(/Serverless-SQSRedrivePolicy/)]));
  });

  test('the CloudFormation validator the tests and the demo rely on fails synth on an invalid template', () => {
    // GIVEN a queue whose retention is below the SQS minimum, in an app like the demo's
    const app = newApp();
    const stack = new Stack(app, 'Invalid');
    new sqs.CfnQueue(stack, 'Queue', { messageRetentionPeriod: 5 });
    // WHEN / THEN
    expect(() => app.synth()).toThrow(/MessageRetentionPeriod: 5 is less than the minimum of 60/);
  });

  test('the CDK CLI synthesizes it and the summary reports the settings applied', () => {
    // GIVEN
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-'));
    // WHEN the real CLI runs the app, as `npm run demo` does
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'cdk'), [
      'synth', '--quiet', '--no-notices', '--no-version-reporting',
      '--app', `${path.join(ROOT, 'node_modules', '.bin', 'ts-node')} --prefer-ts-exts --project tsconfig.dev.json demo/app.ts`,
      '--output', outdir,
    ], { cwd: ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' }, stdio: 'pipe' });
    const summary = summarize(outdir);
    // THEN
    expect(summary).toMatch(/^Stack CdkResilienceDemo: \d+ resources/);
    expect(summary).toMatch(/9 × AWS::Lambda::EventSourceMapping/);
    expect(summary).toMatch(/3 × AWS::SNS::Subscription/);
    expect(summary).toContain('• CdkResilienceDemo/Orders\n      visibility timeout 180 s (6.0 × function timeout 30 s), retention 4 days');
    expect(summary).toContain('• CdkResilienceDemo/Payments (FIFO)');
    expect(summary).toContain('dead-letter queue CdkResilienceDemo/Orders/DeadLetterQueue after 5 receives, retention 14 days, redrive allowed from 1 named source(s)');
    expect(summary).toContain('dead-letter queue CdkResilienceDemo/SharedDeadLetters after 5 receives, retention 14 days, redrive allowed from 2 named source(s)');
    expect(summary).toContain('batch size 100, batching window 10 s, max concurrency 5, partial batch responses on');
    expect(summary).toContain('alarms: ApproximateNumberOfMessagesVisible ≥ 1 (notifies); ApproximateAgeOfOldestMessage ≥ 2 days (notifies); Errors ≥ 1 (notifies)');
    expect(summary).toContain('• CdkResilienceDemo/Shipper/Function\n      2 retries, events kept 6 h, on failure → CdkResilienceDemo/Shipper/DeadLetterQueue');
    expect(summary).toContain('alarms: ApproximateNumberOfMessagesVisible ≥ 1 (notifies); Errors ≥ 1 (notifies); Throttles ≥ 1 (notifies); AsyncEventsDropped ≥ 1 (notifies)');
    expect(summary).toMatch(/• CdkResilienceDemo\/OrderEvents \(CdkResilienceDemo-OrderEvents-[0-9a-f]{8}\)\n      archive: 30 days, every event; undeliverable events → CdkResilienceDemo\/OrderEvents\/DeadLetterQueue/);
    expect(summary).toContain('rule OrderPlaced: refuses replayed events\n        → CdkResilienceDemo/Shipper/Function: 185 retries over 1 day, dead-letter queue CdkResilienceDemo/OrderEvents/DeadLetterQueue');
    expect(summary).toContain('InvocationsFailedToBeSentToDlq ≥ 1 on OrderPlaced (notifies)');
    expect(summary).toContain('• CdkResilienceDemo/Circuits: on-demand, abandoned circuits expire (TTL on expiresAt), removal Delete\n'
      + '      used by: CdkResilienceDemo/Charge\n      alarms: CircuitOpened ≥ 1 (notifies)');
    expect(summary).toContain('• CdkResilienceDemo/Idempotency: on-demand, key id, records expire (TTL on expiration), removal Delete\n'
      + '      used by: CdkResilienceDemo/Fulfil');
    expect(summary).toContain('• CdkResilienceDemo/Fulfilment\n      visibility timeout 180 s (6.0 × function timeout 30 s)');
    expect(summary).toContain('• CdkResilienceDemo/ReservationConfig (free-form, environment default)\n'
      + '      validated by a JSON Schema, rollout AppConfig.Linear20PercentEvery6Minutes, rolled back by 1 alarm(s)\n'
      + '      read by: CdkResilienceDemo/Reserve');
    expect(summary).toContain('• CdkResilienceDemo/Chaos/Profile (feature flags, environment chaos)\n'
      + '      no validator, rollout AppConfig.Linear50PercentEvery30Seconds, rolled back by 1 alarm(s)\n'
      + '      read by: CdkResilienceDemo/Reserve');
    expect(summary).toContain('• CdkResilienceDemo/Reservations\n      visibility timeout 180 s (6.0 × function timeout 30 s)');
    // ... a fan-out to a queue (raw delivery) and an asynchronous function, and a FIFO chain end to end
    expect(summary).toContain('• CdkResilienceDemo/OrderProcessed (standard, encrypted with CdkResilienceDemo/OrderProcessed/Key)\n'
      + '      → CdkResilienceDemo/Receipts/Queue (sqs, raw delivery), undeliverable messages → CdkResilienceDemo/OrderProcessed/DeadLetterQueue\n'
      + '      → CdkResilienceDemo/Notifier/Function (lambda), undeliverable messages → CdkResilienceDemo/OrderProcessed/DeadLetterQueue\n'
      + '      alarms: ApproximateNumberOfMessagesVisible ≥ 1 (notifies); NumberOfNotificationsFailed ≥ 1 (notifies); NumberOfNotificationsFailedToRedriveToDlq ≥ 1 (notifies)');
    expect(summary).toContain('• CdkResilienceDemo/PaymentEvents (FIFO, content-based deduplication, encrypted with CdkResilienceDemo/PaymentEvents/Key)\n'
      + '      → CdkResilienceDemo/Payments/Queue (sqs, raw delivery), undeliverable messages → CdkResilienceDemo/PaymentEvents/DeadLetterQueue');
    expect(summary).toContain('• CdkResilienceDemo/Notifier/Function\n      2 retries, events kept 6 h, on failure → CdkResilienceDemo/Notifier/DeadLetterQueue');
    expect(summary).toContain('  Stream consumers (stream → Lambda, bisect and bounded retries → on-failure queue)\n'
      + '  • CdkResilienceDemo/ClickStream/Function ← Kinesis stream CdkResilienceDemo/Clicks, retention 1 day\n'
      + '      batch size 100 from TRIM_HORIZON, 3 retries, records kept 1 h, bisect on, partial batch responses on\n'
      + '      on failure → CdkResilienceDemo/ClickStream/DeadLetterQueue\n'
      + '      alarms: ApproximateNumberOfMessagesVisible ≥ 1 (notifies); IteratorAge ≥ 30 min (notifies); Errors ≥ 1 (notifies)');
    expect(summary).toContain('  • CdkResilienceDemo/OrderChanges/Function ← DynamoDB stream of CdkResilienceDemo/OrderTable, retention 1 day\n'
      + '      batch size 10 from TRIM_HORIZON, 3 retries, records kept 1 h, bisect on, partial batch responses on\n'
      + '      on failure → CdkResilienceDemo/OrderChanges/DeadLetterQueue\n'
      + '      alarms: ApproximateNumberOfMessagesVisible ≥ 1 (notifies); IteratorAge ≥ 30 min (notifies); Errors ≥ 1 (notifies)');
    expect(summary).toContain('• CdkResilienceDemo/SlowShipping: aws:lambda:invocation-add-delay (startupDelayMilliseconds 2000), 25% of invocations for 10 min\n'
      + '      targets (aws:lambda:function): CdkResilienceDemo/Shipping/Function (extension layer, configuration CdkResilienceDemo/FisConfigurationBucket/FisConfigs/)\n'
      + '      stop conditions: ApproximateAgeOfOldestMessage ≥ 2 days (notifies) on CdkResilienceDemo/Shipping/Queue');
    expect(summary).toMatch(/1 × AWS::FIS::ExperimentTemplate/);
    // ... the front door of Orders: an API that stores each valid order in its queue
    expect(summary).toContain('  Queue-backed APIs (API Gateway → SQS queue, 202 with the message id; the consumer works later)\n'
      + '  • CdkResilienceDemo/OrdersApi: POST /orders (AWS_IAM) → CdkResilienceDemo/Orders/Queue\n');
    expect(summary).toMatch(/ {6}URL: output OrdersApiUrl[0-9A-F]{8} = https:\/\/<id of CdkResilienceDemo\/OrdersApi\/RestApi>\.execute-api\.[a-z0-9-]+\.<AWS::URLSuffix>\/prod\/orders\n/);
    expect(summary).toContain('      body validated by a JSON Schema (requires orderId, items); answers 202, 429, 500, 503\n'
      + '      integration role: sqs:SendMessage on CdkResilienceDemo/Orders/Queue\n'
      + '      stage prod: 100 requests/s, burst 200, access logs → CdkResilienceDemo/OrdersApi/AccessLogs (90 days)\n'
      + '      alarms: 5XXError ≥ 1 (notifies); IntegrationLatency ≥ 1000 ms (p99) (notifies)');
    expect(summary).not.toMatch(/OFF|NO dead-letter queue|NONE|NOTHING|no function|UNBOUNDED|UNTIL THEY EXPIRE|NOT WIRED/);
    // ... and its retry budget: the API stores each request in Orders (once per request), Orders (5 receives) puts events on
    // the bus, whose rule invokes the Shipper (1 + 2 retries)
    expect(summary).toContain('reports a path above 25 or a certain loop');
    expect(summary).toContain('| `CdkResilienceDemo/OrdersApi/RestApi/Default/orders/POST` → `CdkResilienceDemo/Orders/Queue` → `CdkResilienceDemo/Orders/Function` ×5 → `CdkResilienceDemo/OrderEvents` → '
      + '`CdkResilienceDemo/OrderEvents/Rules/OrderPlaced` → `CdkResilienceDemo/Shipper/Function` ×3 | 15 |');
    expect(summary).toContain('| `CdkResilienceDemo/Reservations/Queue` → `CdkResilienceDemo/Reserve` ×5 | 5 |');
    // the fan-out: Orders (5 receives) publishes each order, which reaches Receipts (5 receives) and the Notifier (1 + 2 retries)
    expect(summary).toContain('| `CdkResilienceDemo/OrdersApi/RestApi/Default/orders/POST` → `CdkResilienceDemo/Orders/Queue` → `CdkResilienceDemo/Orders/Function` ×5 → `CdkResilienceDemo/OrderProcessed/Topic` → '
      + '`CdkResilienceDemo/Receipts/Queue` → `CdkResilienceDemo/Receipts/Function` ×5 | 25 |');
    expect(summary).toContain('| `CdkResilienceDemo/OrdersApi/RestApi/Default/orders/POST` → `CdkResilienceDemo/Orders/Queue` → `CdkResilienceDemo/Orders/Function` ×5 → `CdkResilienceDemo/OrderProcessed/Topic` → '
      + '`CdkResilienceDemo/Notifier/Function` ×3 | 15 |');
    expect(summary).toContain('| `CdkResilienceDemo/Charge` → `CdkResilienceDemo/PaymentEvents/Topic` → `CdkResilienceDemo/Payments/Queue` → '
      + '`CdkResilienceDemo/Payments/Function` ×5 | 5 |');
    expect(summary).toContain('| `CdkResilienceDemo/Fulfilment/Queue` → `CdkResilienceDemo/Fulfil` ×5 | 5 |');
  });
});

function collectAcknowledgements(root: IConstruct): Array<{ id: string; reason: string }> {
  return root.node.findAll().flatMap(c => Object.entries(acknowledgementsOn(c)).map(([id, reason]) => ({ id, reason })));
}
