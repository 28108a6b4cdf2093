import { CfnResource, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { CFN_TYPE, CfnModel, ModelResource } from '../../../src/checks/model/cfn-model';
import {
  ASYNC_KINDS, asynchronouslyInvoked, chooseEdges, EDGE_PRECEDENCE, EdgeKind, EventGraph, GraphEdge, machineryFunctions,
} from '../../../src/checks/model/event-graph';
import { handlerProps, newStack } from '../../helpers';
import { newPipe, readKinesis, readTable, streamedTable } from '../streams';

/** A new function `id` in `stack`, with `props` on top of `handlerProps`. */
function newFunction(stack: Stack, id: string, props: Partial<lambda.FunctionProps> = {}): lambda.Function {
  return new lambda.Function(stack, id, { ...handlerProps, ...props });
}

/** The model resource behind `construct`. */
function resourceOf(model: CfnModel, construct: IConstruct): ModelResource {
  const resource = model.resourceOf(construct.node.defaultChild as CfnResource);
  if (!resource) throw new Error(`${construct.node.path} is not in the model`);
  return resource;
}

/** The construct paths of the functions the graph finds invoked asynchronously. */
function asyncFunctions(graph: EventGraph): string[] {
  return graph.model.resources.filter(r => graph.isInvokedAsynchronously(r)).map(r => r.name).sort();
}

/** The edges of the graph as `from → to (kind)`. */
function edgesOf(graph: EventGraph): string[] {
  return graph.edges.map(e => `${e.from.name} → ${e.to.name} (${e.kind})`);
}

/** A link of `kind` from `from` to `to`, as the graph would make it. */
function link(from: ModelResource, to: ModelResource, kind: EdgeKind): GraphEdge {
  const failure = ['rule-dead-letter', 'subscription-dead-letter', 'on-failure', 'function-dead-letter', 'redrive'].includes(kind);
  return { from, to, kind, per: kind === 'grant' ? 'invocation' : 'event', attempts: 1, failure };
}

describe('EventGraph', () => {
  describe('the functions invoked asynchronously are computed in their own pass', () => {
    test('a rule target, a subscription, a destination and a permission to an asynchronous service count; an event source does not', () => {
      // GIVEN
      const stack = newStack();
      const queue = new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.minutes(3) });
      newFunction(stack, 'Consumer').addEventSource(new sources.SqsEventSource(queue));
      new events.Rule(stack, 'Rule', { schedule: events.Schedule.rate(Duration.hours(1)), targets: [new targets.LambdaFunction(newFunction(stack, 'Scheduled'))] });
      new sns.Topic(stack, 'Topic').addSubscription(new subscriptions.LambdaSubscription(newFunction(stack, 'Subscribed')));
      newFunction(stack, 'Caller', { onSuccess: new destinations.LambdaDestination(newFunction(stack, 'Next'), { responseOnly: true }) });
      newFunction(stack, 'Permitted').addPermission('S3', { principal: new iam.ServicePrincipal('s3.amazonaws.com') });
      newFunction(stack, 'Account').addPermission('Account', { principal: new iam.AccountPrincipal('111122223333') });
      // WHEN
      const graph = new EventGraph(new CfnModel(stack));
      // THEN
      expect(asyncFunctions(graph)).toEqual(['Test/Next', 'Test/Permitted', 'Test/Scheduled', 'Test/Subscribed']);
    });

    test('a grant to invoke makes an edge but not an asynchronous invocation', () => {
      // GIVEN a function whose role may invoke another
      const stack = newStack();
      const callee = newFunction(stack, 'Callee');
      callee.grantInvoke(newFunction(stack, 'Caller'));
      // WHEN
      const graph = new EventGraph(new CfnModel(stack));
      // THEN
      expect(edgesOf(graph)).toEqual(['Test/Caller → Test/Callee (grant)']);
      expect(asyncFunctions(graph)).toEqual([]);
    });

    test('a function that is its own on-failure destination is invoked asynchronously, though the link is no edge', () => {
      // GIVEN
      const stack = newStack();
      const fn = newFunction(stack, 'Fn');
      new lambda.EventInvokeConfig(stack, 'Config', { function: fn, onFailure: new destinations.LambdaDestination(fn) });
      // WHEN
      const graph = new EventGraph(new CfnModel(stack));
      // THEN
      expect(asyncFunctions(graph)).toEqual(['Test/Fn']);
      expect(graph.edges.filter(e => e.kind === 'on-failure')).toEqual([]);
    });

    test('adding a link of a kind that does not invoke asynchronously never changes the set', () => {
      // GIVEN one function that a topic invokes, and another
      const stack = newStack();
      new sns.Topic(stack, 'Topic').addSubscription(new subscriptions.LambdaSubscription(newFunction(stack, 'Subscribed')));
      newFunction(stack, 'Other');
      const model = new CfnModel(stack);
      const [subscribed, other] = model.ofType(CFN_TYPE.FUNCTION);
      const topic = model.ofType(CFN_TYPE.TOPIC)[0];
      const links = [link(topic, subscribed, 'subscription')];
      // WHEN / THEN
      for (const kind of EDGE_PRECEDENCE.filter(k => !ASYNC_KINDS.has(k))) {
        expect([...asynchronouslyInvoked(model, [...links, link(subscribed, other, kind)])]).toEqual([subscribed]);
      }
      expect([...asynchronouslyInvoked(model, [...links, link(subscribed, other, 'on-success')])]).toEqual([subscribed, other]);
    });
  });

  describe('one edge per pair, by kind', () => {
    test('a destination wins over the grant that comes with it: the function sends once per event, not once per attempt', () => {
      // GIVEN
      const stack = newStack();
      const failures = new sqs.Queue(stack, 'Failures');
      newFunction(stack, 'Fn', { onFailure: new destinations.SqsDestination(failures) });
      // WHEN
      const graph = new EventGraph(new CfnModel(stack));
      // THEN
      expect(graph.edges).toEqual([expect.objectContaining({ kind: 'on-failure', per: 'event', failure: true })]);
    });

    test('the order in which links are found does not decide', () => {
      // GIVEN
      const stack = newStack();
      const fn = newFunction(stack, 'Fn');
      const queue = new sqs.Queue(stack, 'Queue');
      const model = new CfnModel(stack);
      const [from, to] = [resourceOf(model, fn), resourceOf(model, queue)];
      // WHEN / THEN
      for (const [winner, loser] of [['on-failure', 'grant'], ['rule-target', 'rule-dead-letter'], ['on-failure', 'on-success'], ['on-success', 'function-dead-letter']] as const) {
        expect(chooseEdges([link(from, to, loser), link(from, to, winner)]).map(e => e.kind)).toEqual([winner]);
        expect(chooseEdges([link(from, to, winner), link(from, to, loser)]).map(e => e.kind)).toEqual([winner]);
      }
    });

    test('a failure link from a resource to itself is no edge', () => {
      // GIVEN
      const stack = newStack();
      const queue = new sqs.Queue(stack, 'Queue');
      const self = resourceOf(new CfnModel(stack), queue);
      // WHEN / THEN
      expect(chooseEdges([link(self, self, 'redrive')])).toEqual([]);
      expect(chooseEdges([link(self, self, 'grant')])).toHaveLength(1);
    });
  });

  describe('parallel links', () => {
    test('rule targets on the same resource add up; grants on it do not', () => {
      // GIVEN
      const stack = newStack();
      const fn = newFunction(stack, 'Fn');
      const queue = new sqs.Queue(stack, 'Queue');
      const model = new CfnModel(stack);
      const [from, to] = [resourceOf(model, fn), resourceOf(model, queue)];
      const target = (attempts: number): GraphEdge => ({ ...link(from, to, 'rule-target'), attempts });
      // WHEN / THEN
      expect(chooseEdges([target(3), link(from, to, 'grant'), target(4)])).toEqual([expect.objectContaining({ kind: 'rule-target', copies: 2, attempts: 7 })]);
      expect(chooseEdges([link(from, to, 'grant'), link(from, to, 'grant')])).toEqual([link(from, to, 'grant')]);
    });
  });

  describe('aws-cdk-lib\'s machinery', () => {
    test('a function that is the ServiceToken of a custom resource, and the handlers its environment names, by the template alone', () => {
      // GIVEN a custom resource whose service token is a function that names another in its environment
      const stack = newStack();
      const handler = newFunction(stack, 'Handler');
      const token = newFunction(stack, 'Token', { environment: { HANDLER: handler.functionArn } });
      new CustomResource(stack, 'Custom', { serviceToken: token.functionArn, resourceType: 'Custom::Thing' });
      newFunction(stack, 'User');
      // WHEN
      const machinery = [...machineryFunctions(new CfnModel(stack))].map(r => r.name).sort();
      // THEN
      expect(machinery).toEqual(['Test/Handler', 'Test/Token']);
    });

    test('a function under a construct that aws-cdk-lib marks as a custom resource handler', () => {
      // GIVEN a function whose owner carries the metadata, and one without
      const stack = newStack();
      newFunction(stack, 'Marked').node.addMetadata('aws:cdk:is-custom-resource-handler-singleton', true);
      newFunction(stack, 'Plain');
      // WHEN
      const machinery = [...machineryFunctions(new CfnModel(stack))].map(r => r.name);
      // THEN
      expect(machinery).toEqual(['Test/Marked']);
    });

    test('no link starts or ends at one, and a permission to an asynchronous service does not make it invoked asynchronously', () => {
      // GIVEN a machinery function that SNS may invoke and that may send to a queue
      const stack = newStack();
      const token = newFunction(stack, 'Token');
      token.addPermission('Sns', { principal: new iam.ServicePrincipal('sns.amazonaws.com') });
      new sqs.Queue(stack, 'Queue').grantSendMessages(token);
      new CustomResource(stack, 'Custom', { serviceToken: token.functionArn });
      // WHEN
      const graph = new EventGraph(new CfnModel(stack));
      // THEN
      expect(edgesOf(graph)).toEqual([]);
      expect(asyncFunctions(graph)).toEqual([]);
    });
  });
});

describe('EventGraph: streams and pipes', () => {
  test('a stream mapping links the stream to the function, and the function to its on-failure destination, which wins over the grant to send there', () => {
    // GIVEN
    const stack = newStack();
    const failures = new sqs.Queue(stack, 'Failures');
    readKinesis(new kinesis.Stream(stack, 'Stream'), { retryAttempts: 2, onFailure: new sources.SqsDlq(failures) });
    // WHEN
    const graph = new EventGraph(new CfnModel(stack));
    // THEN
    expect(edgesOf(graph).sort()).toEqual(['Test/Fn → Test/Failures (stream-on-failure)', 'Test/Stream → Test/Fn (stream-mapping)']);
    expect(graph.edges.map(e => [e.kind, e.attempts, e.per, e.failure]).sort()).toEqual([['stream-mapping', 3, 'event', false], ['stream-on-failure', 1, 'event', true]]);
    expect(asyncFunctions(graph)).toEqual([]);
  });

  test('an enhanced fan-out consumer stands for its stream; a DynamoDB stream is its table', () => {
    // GIVEN
    const stack = newStack();
    const stream = new kinesis.Stream(stack, 'Stream');
    const efo = newFunction(stack, 'Efo');
    efo.addEventSource(new sources.KinesisConsumerEventSource(new kinesis.StreamConsumer(stack, 'Consumer', { stream, streamConsumerName: 'efo' }), {
      startingPosition: lambda.StartingPosition.LATEST,
    }));
    readTable(streamedTable(stack), {}, 'TableFn');
    // WHEN
    const graph = new EventGraph(new CfnModel(stack));
    // THEN
    expect(edgesOf(graph)).toEqual(['Test/Stream → Test/Efo (stream-mapping)', 'Test/Table → Test/TableFn (stream-mapping)']);
  });

  test('a pipe is a hop: its source to it, it to its target and enrichment on each attempt, it to its dead-letter queue', () => {
    // GIVEN a pipe from a queue to a function, with a function as enrichment, and a pipe from a stream to a queue with a dead-letter queue
    const stack = newStack();
    const queue = new sqs.Queue(stack, 'Queue', { deadLetterQueue: { queue: new sqs.Queue(stack, 'Redrive'), maxReceiveCount: 4 } });
    newPipe(stack, queue.queueArn, newFunction(stack, 'Target').functionArn, { enrichment: newFunction(stack, 'Enrich').functionArn }, 'FromQueue');
    newPipe(stack, new kinesis.Stream(stack, 'Stream').streamArn, new sqs.Queue(stack, 'Sink').queueArn, {
      sourceParameters: {
        kinesisStreamParameters: { startingPosition: 'LATEST', maximumRetryAttempts: 2, deadLetterConfig: { arn: new sqs.Queue(stack, 'DeadLetters').queueArn } },
      },
    }, 'FromStream');
    // WHEN
    const model = new CfnModel(stack);
    const graph = new EventGraph(model);
    // THEN
    expect(edgesOf(graph).filter(e => e.includes('pipe'))).toEqual([
      'Test/Queue → Test/FromQueue (pipe-source)',
      'Test/FromQueue → Test/Target (pipe-target)',
      'Test/FromQueue → Test/Enrich (pipe-target)',
      'Test/Stream → Test/FromStream (pipe-source)',
      'Test/FromStream → Test/DeadLetters (pipe-dead-letter)',
      'Test/FromStream → Test/Sink (pipe-target)',
    ]);
    const pipeEdges = graph.edges.filter(e => e.kind.startsWith('pipe'));
    expect(pipeEdges.map(e => [e.attempts, e.per])).toEqual([[4, 'event'], [1, 'invocation'], [1, 'invocation'], [3, 'event'], [1, 'event'], [1, 'invocation']]);
    // and the pipe consumes the queue, for the queue rules
    expect(graph.consumersOf(resourceOf(model, queue)).map(r => r.name)).toEqual(['Test/FromQueue']);
  });

  test('a pipe invokes a function target asynchronously only with FIRE_AND_FORGET, and then with the function\'s retries; never its enrichment', () => {
    // GIVEN
    const stack = newStack();
    const queue = new sqs.Queue(stack, 'Queue');
    newPipe(stack, queue.queueArn, newFunction(stack, 'Waited').functionArn, {}, 'Sync');
    newPipe(stack, queue.queueArn, newFunction(stack, 'Fired', { retryAttempts: 1 }).functionArn, {
      targetParameters: { lambdaFunctionParameters: { invocationType: 'FIRE_AND_FORGET' } },
      enrichment: newFunction(stack, 'Enrich').functionArn,
    }, 'Async');
    // WHEN
    const graph = new EventGraph(new CfnModel(stack));
    // THEN
    expect(asyncFunctions(graph)).toEqual(['Test/Fired']);
    expect(graph.edges.filter(e => e.to.name === 'Test/Fired').map(e => [e.kind, e.attempts])).toEqual([['pipe-async-target', 2]]);
    // an enrichment is invoked synchronously, whatever the target's invocation type
    expect(graph.edges.filter(e => e.to.name === 'Test/Enrich').map(e => [e.kind, e.attempts])).toEqual([['pipe-target', 1]]);
  });
});
