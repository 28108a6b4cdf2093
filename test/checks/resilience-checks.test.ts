import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { allFindings } from './nag';
import {
  AppConfigProfile, ArchivedEventBus, AsyncFunction, CircuitBreakerTable, DeadLetterQueue, FailureInjection,
  QueueDecoupledFunction, ResilienceChecks, ResilienceChecksProps,
} from '../../src';
import { handlerProps, newApp, regionalStack } from '../helpers';

const content = appconfig.ConfigurationContent.fromInlineJson('{"enabled":true}');

describe('ResilienceChecks', () => {
  describe('every construct of the library, with its defaults, has no finding', () => {
    const builds: Record<string, (stack: Stack) => void> = {
      'DeadLetterQueue': stack => new DeadLetterQueue(stack, 'DeadLetters'),
      'DeadLetterQueue (FIFO)': stack => new DeadLetterQueue(stack, 'DeadLetters', { fifo: true }),
      'QueueDecoupledFunction': stack => new QueueDecoupledFunction(stack, 'Worker', { functionProps: handlerProps }),
      'QueueDecoupledFunction (FIFO)': stack => new QueueDecoupledFunction(stack, 'Worker', { functionProps: handlerProps, fifo: true }),
      'AsyncFunction': stack => new AsyncFunction(stack, 'Async', { functionProps: handlerProps }),
      'ArchivedEventBus': stack => new ArchivedEventBus(stack, 'Bus'),
      'ArchivedEventBus with a rule to an AsyncFunction': stack => {
        const fn = new AsyncFunction(stack, 'Async', { functionProps: handlerProps });
        new ArchivedEventBus(stack, 'Bus').addRule('Rule', { eventPattern: { source: ['orders'] }, targets: [new targets.LambdaFunction(fn.function)] });
      },
      'CircuitBreakerTable': stack => new CircuitBreakerTable(stack, 'Circuits').attachTo(new lambda.Function(stack, 'Fn', handlerProps)),
      'AppConfigProfile attached to a function': stack => {
        new AppConfigProfile(stack, 'Config', { content }).attachTo(new lambda.Function(stack, 'Fn', handlerProps));
      },
      'FailureInjection': stack => new FailureInjection(stack, 'Chaos'),
      'FailureInjection attached to a function': stack => new FailureInjection(stack, 'Chaos').attachTo(new lambda.Function(stack, 'Fn', handlerProps)),
    };
    test.each(Object.entries(builds))('%s', (_name, build) => {
      // GIVEN
      const stack = regionalStack();
      build(stack);
      // WHEN / THEN
      expect(allFindings(stack)).toEqual([]);
    });
  });

  test('an AppConfigProfile that nothing guards is reported: no monitor rolls its deployments back', () => {
    // GIVEN a profile with no monitor and no attachTo()
    const stack = regionalStack();
    new AppConfigProfile(stack, 'Config', { content });
    // WHEN / THEN
    expect(allFindings(stack)).toEqual(['Resilience-AppConfig1 Test/Config/Environment/Resource']);
  });

  test('FailureInjection acknowledges the missing monitor with a reason, and only on its own environment', () => {
    // GIVEN a failure-injection profile and a plain AppConfig environment without monitors
    const stack = regionalStack();
    new FailureInjection(stack, 'Chaos');
    new appconfig.Environment(stack, 'Plain', { application: new appconfig.Application(stack, 'App') });
    // WHEN / THEN
    expect(allFindings(stack)).toEqual(['Resilience-AppConfig1 Test/Plain/Resource']);
  });

  test('FailureInjection with steady-state stop conditions is compliant without the acknowledgement', () => {
    // GIVEN
    const stack = regionalStack();
    const worker = new QueueDecoupledFunction(stack, 'Worker', { functionProps: handlerProps });
    const chaos = new FailureInjection(stack, 'Chaos', { stopConditions: [worker.alarms[0]] });
    // WHEN
    const acknowledged = chaos.profile.environment.node.metadata.filter(m => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    // THEN
    expect(acknowledged).toEqual([]);
    expect(allFindings(stack)).toEqual([]);
  });

  test('registered with Validations.of(app).addPlugins(), an error finding fails synth and names the rule and resource', () => {
    // GIVEN a queue consumed by a function, without a dead-letter queue or partial batch responses
    const app = newApp();
    const stack = new Stack(app, 'Plain');
    const queue = new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) });
    new lambda.Function(stack, 'Worker', handlerProps).addEventSource(new sources.SqsEventSource(queue));
    Validations.of(app).addPlugins(new ResilienceChecks(app));
    // WHEN / THEN
    expect(() => app.synth()).toThrow(/Resilience-SQS1[\s\S]*Plain\/Queue\/Resource/);
  });

  test('the same app, made safe, synthesizes with the pack registered', () => {
    // GIVEN
    const app = newApp();
    const stack = new Stack(app, 'Safe');
    new QueueDecoupledFunction(stack, 'Worker', { functionProps: handlerProps });
    Validations.of(app).addPlugins(new ResilienceChecks(app));
    // WHEN / THEN
    expect(() => app.synth()).not.toThrow();
  });

  describe('registered as a plugin, warnings are reported and do not fail synth; errors do', () => {
    /** An app whose only finding is a warning: Resilience-SQS6, maxReceiveCount 3. */
    function warningOnlyApp(props: ResilienceChecksProps = {}): App {
      const app = newApp();
      const stack = new Stack(app, 'Warned');
      new QueueDecoupledFunction(stack, 'Worker', { functionProps: handlerProps, maxReceiveCount: 3 });
      Validations.of(app).addPlugins(new ResilienceChecks(app, props));
      return app;
    }

    /** The findings of the pack in the validation report that synth writes into the cloud assembly. */
    function reportedBySynth(app: App): { conclusion: string; violations: Array<{ ruleName: string; severity: string; paths: string[] }> } {
      const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
      const plugin = report.pluginReports.find((r: any) => r.pluginName === 'Resilience');
      return {
        conclusion: plugin.conclusion,
        violations: plugin.violations.map((v: any) => ({
          ruleName: v.ruleName,
          severity: v.severity,
          paths: v.violatingConstructs.map((c: any) => c.constructPath),
        })),
      };
    }

    test('a warning-only app synthesizes, and its warning is in the report', () => {
      // GIVEN
      const app = warningOnlyApp();
      // WHEN
      app.synth();
      // THEN
      expect(reportedBySynth(app)).toEqual({
        conclusion: 'success',
        violations: [{ ruleName: 'Resilience-SQS6', severity: 'warning', paths: ['Warned/Worker/Queue/Resource'] }],
      });
    });

    test('with failOnWarnings, the same app fails synth on its warning', () => {
      // GIVEN
      const app = warningOnlyApp({ failOnWarnings: true });
      // WHEN / THEN
      expect(() => app.synth()).toThrow(/maxReceiveCount 3[\s\S]*Warned\/Worker\/Queue\/Resource[\s\S]*Resilience::Resilience-SQS6/);
    });

    test('validateScope says whether the findings fail: errors, or warnings with failOnWarnings', () => {
      // GIVEN
      const stack = regionalStack();
      new QueueDecoupledFunction(stack, 'Worker', { functionProps: handlerProps, maxReceiveCount: 3 });
      // WHEN
      const lenient = new ResilienceChecks().validateScope(stack);
      const strict = new ResilienceChecks(undefined, { failOnWarnings: true }).validateScope(stack);
      // THEN
      expect(lenient).toMatchObject({ success: true, violations: [{ ruleName: 'Resilience-SQS6', severity: 'warning' }] });
      expect(strict).toMatchObject({ success: false, violations: [{ ruleName: 'Resilience-SQS6', severity: 'warning' }] });
    });
  });

  describe.each(['Resilience-SQS1', 'Resilience::Resilience-SQS1'])('an acknowledgement as %s', (id) => {
    function unsafeApp(): { app: App; stack: Stack } {
      const app = newApp();
      const stack = new Stack(app, 'Plain');
      const queue = new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3), retentionPeriod: Duration.minutes(30) });
      new lambda.Function(stack, 'Worker', handlerProps).addEventSource(new sources.SqsEventSource(queue, { reportBatchItemFailures: true }));
      Validations.of(queue).acknowledge({ id, reason: 'the messages are samples; losing one after 30 minutes is fine' });
      return { app, stack };
    }

    test('hides the finding from validateScope', () => {
      const { stack } = unsafeApp();
      expect(allFindings(stack)).toEqual([]);
    });

    test('hides the finding from synth', () => {
      const { app } = unsafeApp();
      Validations.of(app).addPlugins(new ResilienceChecks(app));
      expect(() => app.synth()).not.toThrow();
    });
  });

  describe('findings carry their numbers', () => {
    test('Resilience-SQS2: the visibility timeout, the function timeout, the batching window and the minimum', () => {
      // GIVEN a 30 s function consuming a queue whose visibility is 60 s, with a 20 s batching window
      const stack = regionalStack();
      const queue = new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.seconds(60) });
      new lambda.Function(stack, 'Worker', handlerProps)
        .addEventSource(new sources.SqsEventSource(queue, { reportBatchItemFailures: true, maxBatchingWindow: Duration.seconds(20), batchSize: 20 }));
      // WHEN
      const [finding] = new ResilienceChecks().validateScope(stack).violations.filter(v => v.ruleName === 'Resilience-SQS2');
      // THEN
      expect(finding.description).toContain('(visibility timeout 60 s of Test/Queue; needs at least 200 s = 6 × function timeout 30 s + batching window 20 s)');
    });

    test('each resource gets its own numbers', () => {
      // GIVEN two consumed queues with different visibility timeouts
      const stack = regionalStack();
      for (const [id, seconds] of [['Short', 40], ['Shorter', 35]] as const) {
        const queue = new sqs.Queue(stack, `${id}Queue`, { visibilityTimeout: Duration.seconds(seconds) });
        new lambda.Function(stack, `${id}Worker`, handlerProps).addEventSource(new sources.SqsEventSource(queue, { reportBatchItemFailures: true }));
      }
      // WHEN
      const findings = new ResilienceChecks().validateScope(stack).violations.filter(v => v.ruleName === 'Resilience-SQS2');
      // THEN
      expect(findings.map(f => [f.violatingResources.map(r => r.constructPath), f.description.match(/visibility timeout \d+ s/)?.[0]])).toEqual([
        [[expect.stringMatching(/^Test\/ShortWorker\/SqsEventSource:/)], 'visibility timeout 40 s'],
        [[expect.stringMatching(/^Test\/ShorterWorker\/SqsEventSource:/)], 'visibility timeout 35 s'],
      ]);
    });

    test('Resilience-RetryBudget1: the path and its worst case', () => {
      // GIVEN a queue without a redrive policy: 4 days / 3 minutes = 1920 receives
      const stack = regionalStack();
      const queue = new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) });
      new lambda.Function(stack, 'Worker', handlerProps).addEventSource(new sources.SqsEventSource(queue, { reportBatchItemFailures: true }));
      // WHEN
      const [finding] = new ResilienceChecks().validateScope(stack).violations.filter(v => v.ruleName === 'Resilience-RetryBudget1');
      // THEN
      expect(finding.description).toContain('(Test/Queue → Test/Worker ×1920: 1920 worst-case invocations, budget 25)');
    });
  });

  test('its name, and the ids of its rules', () => {
    // GIVEN
    const checks = new ResilienceChecks();
    // THEN
    expect(checks.name).toBe('Resilience');
    expect(checks.ruleIds).toEqual([
      'Resilience-SQS1', 'Resilience-SQS2', 'Resilience-SQS3', 'Resilience-SQS4', 'Resilience-SQS5', 'Resilience-SQS6',
      'Resilience-EventBridge1', 'Resilience-EventBridge2', 'Resilience-EventBridge3', 'Resilience-Scheduler1', 'Resilience-Scheduler2',
      'Resilience-Lambda1', 'Resilience-Api1', 'Resilience-SNS1', 'Resilience-Stream1', 'Resilience-Stream2', 'Resilience-Stream3', 'Resilience-StepFunctions1',
      'Resilience-AppConfig1', 'Resilience-AppConfig2', 'Resilience-FIS1', 'Resilience-RetryBudget1', 'Resilience-Checks1', 'Resilience-Checks3',
    ]);
  });

  test('a finding says what is wrong; verbose findings also say what to change', () => {
    // GIVEN a bus without an archive
    const build = () => {
      const stack = regionalStack();
      new events.EventBus(stack, 'Bus');
      return stack;
    };
    // WHEN
    const [terse] = new ResilienceChecks().validateScope(build()).violations;
    const [verbose] = new ResilienceChecks(undefined, { verbose: true }).validateScope(build()).violations;
    // THEN
    expect(terse).toMatchObject({ ruleName: 'Resilience-EventBridge3', severity: 'warning' });
    expect(terse.description).toMatch(/^The custom event bus has no archive/);
    expect(terse.description).not.toMatch(/ArchivedEventBus/);
    expect(verbose.description).toMatch(/^The custom event bus has no archive.* Archive the bus \(bus\.archive\(\), or use ArchivedEventBus/);
  });

  test('validating again sees what changed since the last validation', () => {
    // GIVEN a queue nothing consumes: no finding
    const stack = regionalStack();
    const queue = new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) });
    const checks = new ResilienceChecks(stack.node.root);
    expect(allFindings(stack, checks)).toEqual([]);
    // WHEN a function starts consuming it
    new lambda.Function(stack, 'Worker', handlerProps).addEventSource(new sources.SqsEventSource(queue, { reportBatchItemFailures: true }));
    // THEN the same pack reports the missing redrive policy, and the retries it allows (4 days / 3 minutes = 1920)
    expect(allFindings(stack, checks)).toEqual(['Resilience-SQS1 Test/Queue/Resource', 'Resilience-RetryBudget1 Test/Queue/Resource']);
  });

  test.each([0, 1.5, 1_000_001])('retryBudgetThreshold %p is refused with the prop, the value and the range', (threshold) => {
    expect(() => new ResilienceChecks(undefined, { retryBudgetThreshold: threshold }))
      .toThrow(`retryBudgetThreshold must be an integer between 1 and 1000000, got ${threshold}`);
  });
});
