import { Stack } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import {
  AppConfigProfile, ArchivedEventBus, AsyncFunction, CircuitBreakerTable, DeadLetterQueue, FailureInjection, FanOutTopic,
  IdempotencyTable, QueueBackedApi, QueueDecoupledFunction, StreamConsumerFunction,
} from '../src';
import { handlerProps, logicalIdOf, newStack, propertiesOf, regionalStack } from './helpers';

/**
 * The names and shapes every construct shares: where failures go
 * (`deadLetterQueue`), what encrypts them (`encryptionKey`), the alarms
 * (`alarms`, complete whenever read), the names the runtime reads (static
 * constants), and the functions the library deploys itself.
 */

const IMPORTED_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const content = appconfig.ConfigurationContent.fromInlineJson('{"enabled":true}');

/** Every CloudWatch alarm created under `scope`. */
function alarmsUnder(scope: IConstruct): cloudwatch.Alarm[] {
  return scope.node.findAll().filter((c): c is cloudwatch.Alarm => c instanceof cloudwatch.Alarm);
}

function newFunction(stack: Stack, id = 'Fn'): lambda.Function {
  return new lambda.Function(stack, id, handlerProps);
}

describe('where failures go: deadLetterQueue, encrypted with encryptionKey', () => {
  const constructs = {
    AsyncFunction: (stack: Stack, props: { deadLetterQueue?: DeadLetterQueue; encryptionKey?: kms.IKey }) =>
      new AsyncFunction(stack, 'Subject', { functionProps: handlerProps, ...props }),
    StreamConsumerFunction: (stack: Stack, props: { deadLetterQueue?: DeadLetterQueue; encryptionKey?: kms.IKey }) =>
      new StreamConsumerFunction(stack, 'Subject', { stream: new kinesis.Stream(stack, 'Stream'), functionProps: handlerProps, ...props }),
    QueueDecoupledFunction: (stack: Stack, props: { deadLetterQueue?: DeadLetterQueue; encryptionKey?: kms.IKey }) =>
      new QueueDecoupledFunction(stack, 'Subject', { functionProps: handlerProps, ...props }),
    ArchivedEventBus: (stack: Stack, props: { deadLetterQueue?: DeadLetterQueue; encryptionKey?: kms.IKey }) =>
      new ArchivedEventBus(stack, 'Subject', props),
  };

  test.each(Object.entries(constructs))('%s: encryptionKey encrypts the DeadLetterQueue it creates, its child DeadLetterQueue', (_, create) => {
    // GIVEN
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');

    // WHEN
    const subject = create(stack, { encryptionKey: key });

    // THEN
    expect(subject.deadLetterQueue).toBe(subject.node.tryFindChild('DeadLetterQueue'));
    expect(subject.deadLetterQueue!.encryptionKey).toBe(key);
    expect(propertiesOf(stack, subject.deadLetterQueue!.queue).KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] });
  });

  test.each(Object.entries(constructs))('%s: deadLetterQueue is where failures go, and none is created', (_, create) => {
    // GIVEN
    const stack = newStack();
    const shared = new DeadLetterQueue(stack, 'Shared');

    // WHEN
    const subject = create(stack, { deadLetterQueue: shared });

    // THEN
    expect(subject.deadLetterQueue).toBe(shared);
    expect(subject.node.tryFindChild('DeadLetterQueue')).toBeUndefined();
    expect(subject.alarms).toContain(shared.depthAlarm);
  });

  test('ArchivedEventBus refuses an imported key, whose policy the app cannot change, with an error that says why', () => {
    // GIVEN
    const stack = newStack();
    const key = kms.Key.fromKeyArn(stack, 'Imported', IMPORTED_KEY_ARN);

    // WHEN / THEN
    expect(() => new ArchivedEventBus(stack, 'Bus', { encryptionKey: key }))
      .toThrow(/key Test\/Imported, whose key policy this app cannot change \(an imported key or an alias\): EventBridge could not use it, so every event it could not deliver to a target would be lost/);
  });

  test('FanOutTopic refuses a dead-letter queue on an imported key the same way', () => {
    // GIVEN
    const stack = newStack();
    const dlq = new DeadLetterQueue(stack, 'Dlq', { encryptionKey: kms.Key.fromKeyArn(stack, 'Imported', IMPORTED_KEY_ARN) });

    // WHEN / THEN
    expect(() => new FanOutTopic(stack, 'Topic', { deadLetterQueue: dlq }))
      .toThrow(/key Test\/Imported, whose key policy this app cannot change \(an imported key or an alias\): SNS could not use it/);
  });
});

describe('alarms: every alarm a construct makes is named, and alarms is the complete list whenever read', () => {
  test.each([
    ['DeadLetterQueue', (stack: Stack) => {
      const c = new DeadLetterQueue(stack, 'Subject');
      return { construct: c, named: [c.depthAlarm] };
    }],
    ['CircuitBreakerTable', (stack: Stack) => {
      const c = new CircuitBreakerTable(stack, 'Subject');
      return { construct: c, named: [c.circuitOpenedAlarm] };
    }],
    ['QueueDecoupledFunction', (stack: Stack) => {
      const c = new QueueDecoupledFunction(stack, 'Subject', { functionProps: handlerProps });
      return { construct: c, named: [c.deadLetterQueue.depthAlarm, c.oldestMessageAgeAlarm, c.errorsAlarm] };
    }],
    ['QueueBackedApi (not the alarms of its consumer, a construct of its own)', (stack: Stack) => {
      const c = new QueueBackedApi(stack, 'Subject', { consumer: new QueueDecoupledFunction(stack, 'Consumer', { functionProps: handlerProps }) });
      return { construct: c, named: [c.serverErrorsAlarm, c.integrationLatencyAlarm] };
    }],
    ['AsyncFunction', (stack: Stack) => {
      const c = new AsyncFunction(stack, 'Subject', { functionProps: handlerProps });
      return { construct: c, named: [c.deadLetterQueue!.depthAlarm, c.errorsAlarm, c.throttlesAlarm, c.droppedEventsAlarm] };
    }],
    ['StreamConsumerFunction', (stack: Stack) => {
      const c = new StreamConsumerFunction(stack, 'Subject', { stream: new kinesis.Stream(stack, 'Stream'), functionProps: handlerProps });
      return { construct: c, named: [c.deadLetterQueue.depthAlarm, c.iteratorAgeAlarm, c.errorsAlarm] };
    }],
    ['ArchivedEventBus, after addRule()', (stack: Stack) => {
      const c = new ArchivedEventBus(stack, 'Subject');
      const before = c.alarms;
      const { deadLetterFailuresAlarm } = c.addRule('Orders', { eventPattern: { source: ['orders'] }, targets: [new targets.LambdaFunction(newFunction(stack))] });
      expect(before).not.toContain(deadLetterFailuresAlarm);
      return { construct: c, named: [c.deadLetterQueue.depthAlarm, deadLetterFailuresAlarm] };
    }],
    ['FanOutTopic, after addSubscription() with its own DeadLetterQueue', (stack: Stack) => {
      const c = new FanOutTopic(stack, 'Subject');
      const own = new DeadLetterQueue(c, 'Own');
      c.addSubscription(new subscriptions.SqsSubscription(new sqs.Queue(stack, 'Subscriber'), { deadLetterQueue: own.queue }));
      return {
        construct: c,
        named: [c.deadLetterQueue.depthAlarm, c.notificationsFailedAlarm, c.notificationsFailedToRedriveToDlqAlarm, own.depthAlarm],
      };
    }],
    ['AppConfigProfile, after attachTo()', (stack: Stack) => {
      const c = new AppConfigProfile(stack, 'Subject', { content });
      c.attachTo(newFunction(stack));
      return { construct: c, named: c.monitors as cloudwatch.Alarm[] };
    }],
    ['IdempotencyTable', (stack: Stack) => ({ construct: new IdempotencyTable(stack, 'Subject'), named: [] })],
    ['FailureInjection, after attachTo()', (stack: Stack) => {
      const c = new FailureInjection(stack, 'Subject');
      c.attachTo(newFunction(stack));
      return { construct: c, named: [] };
    }],
  ] as Array<[string, (stack: Stack) => { construct: IConstruct & { alarms: cloudwatch.Alarm[] }; named: cloudwatch.Alarm[] }]>)('%s', (_, create) => {
    // GIVEN
    const stack = regionalStack();

    // WHEN
    const { construct, named } = create(stack);

    // THEN alarms lists exactly the named alarms, every alarm created under the construct among them
    expect(construct.alarms).toEqual(named);
    for (const alarm of alarmsUnder(construct)) {
      expect(construct.alarms).toContain(alarm);
    }
    // ... and is computed when read: a getter, not an array that grows
    let prototype = Object.getPrototypeOf(construct);
    while (prototype && !Object.getOwnPropertyDescriptor(prototype, 'alarms')) prototype = Object.getPrototypeOf(prototype);
    expect(typeof Object.getOwnPropertyDescriptor(prototype, 'alarms')?.get).toBe('function');
    expect(construct.alarms).not.toBe(construct.alarms);
  });
});

describe('what the runtime reads, published as static constants', () => {
  test.each([
    ['CircuitBreakerTable.TABLE_ENV', CircuitBreakerTable.TABLE_ENV, 'CIRCUIT_BREAKER_TABLE', (stack: Stack, fn: lambda.Function) => new CircuitBreakerTable(stack, 'C').attachTo(fn)],
    ['IdempotencyTable.TABLE_ENV', IdempotencyTable.TABLE_ENV, 'IDEMPOTENCY_TABLE', (stack: Stack, fn: lambda.Function) => new IdempotencyTable(stack, 'C').attachTo(fn)],
    ['AppConfigProfile.CONFIGURATION_PATH_ENV', AppConfigProfile.CONFIGURATION_PATH_ENV, 'APPCONFIG_CONFIGURATION_PATH',
      (stack: Stack, fn: lambda.Function) => new AppConfigProfile(stack, 'C', { content }).attachTo(fn)],
    ['FailureInjection.CONFIGURATION_PATH_ENV', FailureInjection.CONFIGURATION_PATH_ENV, 'FAILURE_INJECTION_CONFIGURATION_PATH',
      (stack: Stack, fn: lambda.Function) => new FailureInjection(stack, 'C').attachTo(fn)],
  ])('%s is the variable attachTo() sets', (_, constant, expected, attach) => {
    // GIVEN
    const stack = regionalStack();
    const fn = newFunction(stack);

    // WHEN
    attach(stack, fn);

    // THEN
    expect(constant).toBe(expected);
    expect(Object.keys(propertiesOf(stack, fn).Environment.Variables)).toEqual([constant]);
  });

  test('FailureInjection publishes its kill switch and its flags', () => {
    // GIVEN
    const stack = regionalStack();

    // WHEN
    const fi = new FailureInjection(stack, 'Chaos');

    // THEN the flags document has exactly the published flags
    expect(FailureInjection.DISABLED_ENV).toBe('FAILURE_INJECTION_DISABLED');
    expect(Object.keys(JSON.parse(fi.document).flags).sort()).toEqual([...FailureInjection.FLAG_NAMES].sort());
    expect(FailureInjection.FLAG_NAMES).toEqual(expect.arrayContaining(['latency', 'exception', 'statuscode']));
  });
});

describe('attachTo refuses a function it cannot wire with one message, built from the construct', () => {
  test.each([
    ['CircuitBreakerTable', (stack: Stack) => new CircuitBreakerTable(stack, 'C'), 'CIRCUIT_BREAKER_TABLE', 'grantCircuitAccess\\(fn\\)'],
    ['IdempotencyTable', (stack: Stack) => new IdempotencyTable(stack, 'C'), 'IDEMPOTENCY_TABLE', 'grantIdempotencyAccess\\(fn\\)'],
    ['AppConfigProfile', (stack: Stack) => new AppConfigProfile(stack, 'C', { content }), 'APPCONFIG_CONFIGURATION_PATH', 'grantRead\\(fn\\)'],
    ['FailureInjection', (stack: Stack) => new FailureInjection(stack, 'C'), 'FAILURE_INJECTION_CONFIGURATION_PATH', 'profile\\.grantRead\\(fn\\)'],
  ] as Array<[string, (stack: Stack) => { attachTo(fn: lambda.IFunction): unknown }, string, string]>)('%s', (name, create, variable, instead) => {
    // GIVEN
    const stack = regionalStack();
    const imported = lambda.Function.fromFunctionArn(stack, 'Imported', 'arn:aws:lambda:eu-west-1:111122223333:function:orders');

    // WHEN / THEN
    expect(() => create(stack).attachTo(imported)).toThrow(new RegExp(`^${name}\\.attachTo needs a lambda\\.Function of this app .* `
      + `got Test/Imported \\(\\w+\\): for an imported function, an alias or a version, set ${variable} on the function yourself and use ${instead}`));
  });
});

describe('names aws-cdk-lib uses for the same thing', () => {
  test('ArchivedEventBus.grantPutEventsTo, as events.EventBus', () => {
    // GIVEN
    const stack = newStack();
    const bus = new ArchivedEventBus(stack, 'Bus');
    const fn = newFunction(stack);

    // WHEN
    const grant = bus.grantPutEventsTo(fn);

    // THEN
    expect(grant.success).toBe(true);
    expect('grantPutEventsTo' in events.EventBus.prototype).toBe(true);
    expect('grantPutEvents' in bus).toBe(false);
  });
});

describe('the functions the library deploys', () => {
  test('the replay function runs the newest Node.js runtime this aws-cdk-lib knows, and passes AwsSolutions-L1', () => {
    // GIVEN
    const stack = regionalStack();
    const newest = lambda.Runtime.ALL
      .filter(r => r.family === lambda.RuntimeFamily.NODEJS && !r.isVariable && /^nodejs\d+\.x$/.test(r.name))
      .map(r => r.name)
      .sort((a, b) => parseInt(a.slice(6), 10) - parseInt(b.slice(6), 10))
      .pop();

    // WHEN
    const bus = new ArchivedEventBus(stack, 'Bus');

    // THEN
    expect(propertiesOf(stack, bus.replayFunction).Runtime).toBe(newest);
    const report = new AwsSolutionsChecks(stack.node.root).validateScope(stack);
    expect(report.violations.map(v => v.ruleName).filter(r => /AwsSolutions-L1/.test(r))).toEqual([]);
  });

  test('replayFunctionRuntime chooses another, which AwsSolutions-L1 then reports', () => {
    // GIVEN
    const stack = regionalStack();

    // WHEN
    const bus = new ArchivedEventBus(stack, 'Bus', { replayFunctionRuntime: lambda.Runtime.NODEJS_22_X });

    // THEN
    expect(propertiesOf(stack, bus.replayFunction).Runtime).toBe('nodejs22.x');
    const report = new AwsSolutionsChecks(stack.node.root).validateScope(stack);
    expect(report.violations.map(v => v.ruleName).filter(r => /AwsSolutions-L1/.test(r))).toEqual(['AwsSolutions-L1']);
  });
});
