import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ResilienceChecks } from '../../../src';
import { handlerProps, newStack } from '../../helpers';
import { findings, reported } from '../nag';

const RULE = 'Resilience-SNS1';

describe('Resilience-SNS1: an SNS subscription has a redrive policy', () => {
  test('a queue subscription without a dead-letter queue is an error on the subscription; a dead-letter queue fixes it', () => {
    // GIVEN
    const stack = newStack();
    new sns.Topic(stack, 'Topic').addSubscription(new subscriptions.SqsSubscription(new sqs.Queue(stack, 'Queue')));

    // WHEN / THEN the subscription is created in the queue's scope, named after the topic
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Queue/TestTopic346FF537/Resource', severity: 'error' }]);

    // GIVEN the same subscription with a dead-letter queue
    const fixed = newStack();
    new sns.Topic(fixed, 'Topic').addSubscription(new subscriptions.SqsSubscription(new sqs.Queue(fixed, 'Queue'), {
      deadLetterQueue: new sqs.Queue(fixed, 'Undelivered'),
    }));

    // THEN
    expect(findings(fixed, RULE)).toEqual([]);
  });

  test('every kind of subscription is checked, each on its own', () => {
    // GIVEN a function subscription without a dead-letter queue, and an email subscription with one
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    new sns.Subscription(stack, 'Function', {
      topic,
      protocol: sns.SubscriptionProtocol.LAMBDA,
      endpoint: new lambda.Function(stack, 'Fn', handlerProps).functionArn,
    });
    new sns.Subscription(stack, 'Email', {
      topic,
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: 'ops@example.com',
      deadLetterQueue: new sqs.Queue(stack, 'Undelivered'),
    });

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual(['Test/Function/Resource']);
  });

  test.each([
    ['a JSON string', '{"deadLetterTargetArn": "arn:aws:sqs:eu-west-1:111122223333:undelivered.fifo"}', []],
    ['a JSON string built with Fn::Sub', { 'Fn::Sub': '{"deadLetterTargetArn": "${Undelivered.Arn}"}' }, []],
    ['a condition', { 'Fn::If': ['WithDlq', { deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:111122223333:undelivered.fifo' }, { Ref: 'AWS::NoValue' }] }, []],
    ['nothing', undefined, ['Orders']],
  ])('a redrive policy given as %s (CloudFormation\'s Json type) is read as it is', (_, policy, expected) => {
    // GIVEN a FIFO topic's queue subscription whose redrive policy is given as a template may give it
    const template = {
      Resources: {
        Topic: { Type: 'AWS::SNS::Topic', Properties: { FifoTopic: true, TopicName: 'orders.fifo' } },
        Queue: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
        Undelivered: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
        Orders: {
          Type: 'AWS::SNS::Subscription',
          Properties: { TopicArn: { Ref: 'Topic' }, Protocol: 'sqs', Endpoint: { 'Fn::GetAtt': ['Queue', 'Arn'] }, ...policy !== undefined && { RedrivePolicy: policy } },
        },
      },
    };
    // WHEN
    const report = ResilienceChecks.checkTemplate(template);
    // THEN
    expect(report.violations.filter(v => v.ruleName === RULE).flatMap(v => v.violatingResources.map(r => r.resourceLogicalId))).toEqual(expected);
  });

  test('a topic without subscriptions has nothing to check', () => {
    // GIVEN
    const stack = newStack();
    new sns.Topic(stack, 'Topic');

    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });
});
