import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { ResilienceChecks } from '../../../src';
import { main } from '../../../src/cli/cdk-resilience';
import { handlerProps, newStack } from '../../helpers';
import { findings, reported } from '../nag';
import { newPipe } from '../streams';

const RULE = 'Resilience-StepFunctions1';

/** A new function `id` in `stack`. */
function newFunction(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, handlerProps);
}

/** A state machine `Machine` whose definition is `body`, started every hour by a rule. */
function scheduledMachine(stack: Stack, body: sfn.IChainable, props: Partial<sfn.StateMachineProps> = {}): sfn.StateMachine {
  const machine = new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(body), ...props });
  new events.Rule(stack, 'Rule', { schedule: events.Schedule.rate(Duration.hours(1)), targets: [new targets.SfnStateMachine(machine)] });
  return machine;
}

/** A `LambdaInvoke` task `id` of a new function. */
function invoke(stack: Stack, id: string, props: Partial<tasks.LambdaInvokeProps> = {}): tasks.LambdaInvoke {
  return new tasks.LambdaInvoke(stack, id, { lambdaFunction: newFunction(stack, `${id}Fn`), ...props });
}

/** The message of the finding on the state machine `Machine`. */
function messageOf(stack: Stack): string {
  const [violation] = new ResilienceChecks(stack.node.root).validateScope(stack).violations.filter(v => v.ruleName === RULE);
  return violation.description;
}

describe('Resilience-StepFunctions1: a state machine started asynchronously handles the transient errors of its tasks', () => {
  test('defaults: LambdaInvoke\'s default retry covers the Lambda service exceptions', () => {
    // GIVEN a rule that starts a state machine with one LambdaInvoke task
    const stack = newStack();
    scheduledMachine(stack, invoke(stack, 'Charge'));

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('a LambdaInvoke task without its retry on service exceptions is a warning on the state machine, naming the task', () => {
    // GIVEN
    const stack = newStack();
    scheduledMachine(stack, invoke(stack, 'Charge', { retryOnServiceExceptions: false }));

    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Machine/Resource', severity: 'warning' }]);
    expect(messageOf(stack)).toContain('unhandled: Charge (Lambda)');
  });

  test('a Catch on the task, or States.ALL in a Retry, covers it; a Retry for other errors or with no attempts does not', () => {
    const build = (configure: (task: tasks.LambdaInvoke) => void) => {
      const stack = newStack();
      const task = invoke(stack, 'Charge', { retryOnServiceExceptions: false });
      configure(task);
      scheduledMachine(stack, task);
      return stack;
    };
    // WHEN / THEN
    expect(findings(build(task => task.addCatch(new sfn.Fail(task, 'Failed'))), RULE)).toEqual([]);
    expect(findings(build(task => task.addRetry({ errors: [sfn.Errors.ALL] })), RULE)).toEqual([]);
    expect(findings(build(task => task.addRetry({ errors: ['Lambda.ServiceException'] })), RULE)).toEqual(['Test/Machine/Resource']);
    expect(findings(build(task => task.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 0 })), RULE)).toEqual(['Test/Machine/Resource']);
  });

  test('a task inside a Parallel branch or a Map counts; a Catch on the Parallel state covers its branches', () => {
    // GIVEN a Parallel state with an unprotected task in a branch, and a Map with one in its item processor
    const uncovered = newStack();
    const parallel = new sfn.Parallel(uncovered, 'Fan out').branch(invoke(uncovered, 'Charge', { retryOnServiceExceptions: false }));
    const map = new sfn.Map(uncovered, 'Each').itemProcessor(invoke(uncovered, 'Ship', { retryOnServiceExceptions: false }));
    scheduledMachine(uncovered, parallel.next(map));

    // WHEN / THEN
    expect(findings(uncovered, RULE)).toEqual(['Test/Machine/Resource']);
    expect(messageOf(uncovered)).toContain('unhandled: Fan out/Charge (Lambda), Each/Ship (Lambda)');

    // GIVEN the same Parallel state with a Catch
    const covered = newStack();
    const caught = new sfn.Parallel(covered, 'Fan out').branch(invoke(covered, 'Charge', { retryOnServiceExceptions: false }));
    caught.addCatch(new sfn.Fail(covered, 'Failed'));
    scheduledMachine(covered, caught);

    // THEN
    expect(findings(covered, RULE)).toEqual([]);
  });

  test('any other task needs a Retry or a Catch of its own', () => {
    // GIVEN an SQS SendMessage task without either, then with a Retry
    const build = (retry: boolean) => {
      const stack = newStack();
      const send = new tasks.SqsSendMessage(stack, 'Send', {
        queue: new sqs.Queue(stack, 'Queue'), messageBody: sfn.TaskInput.fromText('hello'),
      });
      if (retry) send.addRetry({ errors: ['SQS.SdkClientException'] });
      scheduledMachine(stack, send);
      return stack;
    };
    // WHEN / THEN
    expect(findings(build(false), RULE)).toEqual(['Test/Machine/Resource']);
    expect(findings(build(true), RULE)).toEqual([]);
  });

  test('an Express workflow that a function subscribed to a topic starts; one that a function nothing invokes starts is not checked', () => {
    // GIVEN an Express workflow started by a function that SNS invokes
    const stack = newStack();
    const machine = new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(invoke(stack, 'Charge', { retryOnServiceExceptions: false })),
      stateMachineType: sfn.StateMachineType.EXPRESS,
    });
    const starter = newFunction(stack, 'Starter');
    machine.grantStartExecution(starter);
    new sns.Topic(stack, 'Topic').addSubscription(new subscriptions.LambdaSubscription(starter));

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Machine/Resource']);

    // GIVEN the same workflow, started by a function that nothing invokes asynchronously
    const direct = newStack();
    const other = new sfn.StateMachine(direct, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(invoke(direct, 'Charge', { retryOnServiceExceptions: false })),
      stateMachineType: sfn.StateMachineType.EXPRESS,
    });
    other.grantStartExecution(newFunction(direct, 'Starter'));

    // THEN
    expect(findings(direct, RULE)).toEqual([]);
  });

  test('a definition as an object or as a string with tokens is read; one in S3, or with a token outside a string, is not', () => {
    // GIVEN state machines that a rule starts, each with one Lambda task that handles nothing
    const stack = newStack();
    const fn = newFunction(stack, 'Fn');
    const roleArn = 'arn:aws:iam::111122223333:role/sfn';
    const task = (resource: string, more = '') => `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"${resource}"${more},"End":true}}}`;
    const machines = [
      new sfn.CfnStateMachine(stack, 'AsObject', { roleArn, definition: JSON.parse(task('arn:aws:states:::lambda:invoke')) }),
      // The function's ARN as the Resource: an Fn::Join of the literal parts and the token
      new sfn.CfnStateMachine(stack, 'WithToken', { roleArn, definitionString: task(fn.functionArn) }),
      new sfn.CfnStateMachine(stack, 'InS3', { roleArn, definitionS3Location: { bucket: 'bucket', key: 'definition.json' } }),
      new sfn.CfnStateMachine(stack, 'TokenOutsideString', { roleArn, definitionString: task(fn.functionArn, `,"TimeoutSeconds":${fn.functionName}`) }),
    ];
    new events.Rule(stack, 'Rule', {
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: machines.map(m => new targets.SfnStateMachine(sfn.StateMachine.fromStateMachineArn(stack, `${m.node.id}Ref`, m.attrArn))),
    });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/AsObject', 'Test/WithToken']);
  });

  test('a definition the app ships as a file (DefinitionBody.fromFile) is read, in the plugin and from the cloud assembly', () => {
    // GIVEN a Standard workflow from a file with two Lambda tasks that handle nothing, started by a rule
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'definition-'));
    const file = path.join(dir, 'flow.asl.json');
    fs.writeFileSync(file, JSON.stringify({
      StartAt: 'Reserve',
      States: {
        Reserve: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'reserve' }, Next: 'Charge' },
        Charge: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'charge' }, End: true },
      },
    }));
    const app = new App({ outdir: path.join(dir, 'cdk.out'), context: { 'aws:cdk:enable-path-metadata': true } });
    const stack = new Stack(app, 'Test');
    const machine = new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromFile(file) });
    new events.Rule(stack, 'Rule', { schedule: events.Schedule.rate(Duration.hours(1)), targets: [new targets.SfnStateMachine(machine)] });

    // WHEN / THEN the plugin reads the staged file
    expect(messageOf(stack)).toMatch(/\(unhandled: Reserve \(Lambda\), Charge \(Lambda\)\)$/);
    // and so does the command line, from the cloud assembly
    app.synth();
    let out = '';
    main(['check', path.join(dir, 'cdk.out')], { out: t => { out += t; }, err: () => undefined });
    expect(out).toMatch(/WARNING Resilience-StepFunctions1  Machine\w+ \(Test\/Machine\/Resource\)/);
    expect(out).toContain('(unhandled: Reserve (Lambda), Charge (Lambda))');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a function that S3 invokes, whose environment names a workflow and whose AWS managed policy may start any, possibly starts it', () => {
    // GIVEN a bucket that notifies a function; the function holds the workflow's ARN and AWSStepFunctionsFullAccess, nothing more
    const stack = newStack();
    const machine = new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(invoke(stack, 'Charge', { retryOnServiceExceptions: false })) });
    const role = new iam.Role(stack, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AWSStepFunctionsFullAccess')],
    });
    const starter = new lambda.Function(stack, 'Starter', { ...handlerProps, role, environment: { STATE_MACHINE_ARN: machine.stateMachineArn } });
    new s3.Bucket(stack, 'Uploads').addObjectCreatedNotification(new s3n.LambdaDestination(starter));

    // WHEN / THEN the workflow is reported, and the finding says the start is possible, not shown
    expect(findings(stack, RULE)).toEqual(['Test/Machine/Resource']);
    expect(messageOf(stack)).toMatch(/\(possibly started asynchronously: a function invoked asynchronously names it in its environment and may start every state machine; unhandled: Charge \(Lambda\)\)$/);

    // GIVEN the same without the managed policy: nothing shows the function may start it
    const bare = newStack();
    const other = new sfn.StateMachine(bare, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(invoke(bare, 'Charge', { retryOnServiceExceptions: false })) });
    const plain = new lambda.Function(bare, 'Starter', { ...handlerProps, environment: { STATE_MACHINE_ARN: other.stateMachineArn } });
    new s3.Bucket(bare, 'Uploads').addObjectCreatedNotification(new s3n.LambdaDestination(plain));
    // THEN
    expect(findings(bare, RULE)).toEqual([]);
  });

  test('a pipe starts a Standard workflow, or an Express one FIRE_AND_FORGET, asynchronously; an Express one it waits for is not checked', () => {
    // GIVEN three state machines whose Lambda task handles nothing, each the target of a pipe reading a queue
    const stack = newStack();
    const source = new sqs.Queue(stack, 'Source');
    const machine = (id: string, type: sfn.StateMachineType) => new sfn.StateMachine(stack, id, {
      definitionBody: sfn.DefinitionBody.fromChainable(invoke(stack, `${id}Charge`, { retryOnServiceExceptions: false })),
      stateMachineType: type,
    });
    newPipe(stack, source.queueArn, machine('Standard', sfn.StateMachineType.STANDARD).stateMachineArn, {
      targetParameters: { stepFunctionStateMachineParameters: { invocationType: 'FIRE_AND_FORGET' } },
    }, 'StandardPipe');
    newPipe(stack, source.queueArn, machine('Fired', sfn.StateMachineType.EXPRESS).stateMachineArn, {
      targetParameters: { stepFunctionStateMachineParameters: { invocationType: 'FIRE_AND_FORGET' } },
    }, 'FiredPipe');
    newPipe(stack, source.queueArn, machine('Waited', sfn.StateMachineType.EXPRESS).stateMachineArn, {}, 'WaitedPipe');

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Standard/Resource', 'Test/Fired/Resource']);
  });
});
