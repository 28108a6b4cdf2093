import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { RetryBudget } from '../../../src';
import { main } from '../../../src/cli/cdk-resilience';
import { handlerProps, newStack } from '../../helpers';
import { findings, reported } from '../nag';
import { describedBy } from '../streams';

const RULE = 'Resilience-Api1';

/** A function `id` with a timeout of `seconds`. */
function fnOf(stack: Stack, id: string, seconds: number): lambda.Function {
  return new lambda.Function(stack, id, { ...handlerProps, timeout: Duration.seconds(seconds) });
}

describe('Resilience-Api1: a function behind an API does not run on after the integration gave up', () => {
  test('a REST API proxy integration: a function of 60 s is an error on the method, with both numbers; one of 20 s complies', () => {
    // GIVEN
    const stack = newStack();
    const api = new apigateway.RestApi(stack, 'Api');
    api.root.addResource('slow').addMethod('POST', new apigateway.LambdaIntegration(fnOf(stack, 'Slow', 60)));
    api.root.addResource('fast').addMethod('POST', new apigateway.LambdaIntegration(fnOf(stack, 'Fast', 20)));
    // WHEN / THEN
    expect(reported(stack, RULE)).toEqual([{ path: 'Test/Api/Default/slow/POST/Resource', severity: 'error' }]);
    expect(describedBy(stack, RULE)).toEqual([expect.stringMatching(/\(function Test\/Slow times out after 60 s, the REST API integration after 29 s\)$/)]);
  });

  test('a REST API non-proxy integration with its own timeout; an asynchronous one is not checked', () => {
    // GIVEN a non-proxy integration that waits 10 s for a function of 15 s, and one that invokes asynchronously
    const stack = newStack();
    const api = new apigateway.RestApi(stack, 'Api');
    api.root.addResource('waits').addMethod('POST', new apigateway.LambdaIntegration(fnOf(stack, 'Waits', 15), { proxy: false, timeout: Duration.seconds(10) }));
    api.root.addResource('queued').addMethod('POST', new apigateway.LambdaIntegration(fnOf(stack, 'Queued', 600), {
      proxy: false,
      requestParameters: { 'integration.request.header.X-Amz-Invocation-Type': "'Event'" },
    }));
    // WHEN / THEN
    expect(describedBy(stack, RULE)).toEqual([expect.stringMatching(/\(function Test\/Waits times out after 15 s, the REST API integration after 10 s\)$/)]);
  });

  test('an HTTP API: 30 s by default, or the integration\'s timeout', () => {
    // GIVEN one route to a function of 31 s, one to a function of 25 s, and one that waits 10 s for a function of 20 s
    const stack = newStack();
    const api = new apigwv2.HttpApi(stack, 'Http');
    api.addRoutes({ path: '/slow', integration: new integrations.HttpLambdaIntegration('Slow', fnOf(stack, 'SlowFn', 31)) });
    api.addRoutes({ path: '/fast', integration: new integrations.HttpLambdaIntegration('Fast', fnOf(stack, 'FastFn', 25)) });
    api.addRoutes({ path: '/short', integration: new integrations.HttpLambdaIntegration('Short', fnOf(stack, 'ShortFn', 20), { timeout: Duration.seconds(10) }) });
    // WHEN
    const messages = describedBy(stack, RULE).sort();
    // THEN
    expect(findings(stack, RULE).sort()).toEqual(['Test/Http/ANY--short/Short/Resource', 'Test/Http/ANY--slow/Slow/Resource']);
    expect(messages).toEqual([
      expect.stringMatching(/\(function Test\/ShortFn times out after 20 s, the HTTP API integration after 10 s\)$/),
      expect.stringMatching(/\(function Test\/SlowFn times out after 31 s, the HTTP API integration after 30 s\)$/),
    ]);
  });

  test('a function timeout the template does not fix is not reported', () => {
    // GIVEN
    const stack = newStack();
    const fn = fnOf(stack, 'Fn', 60);
    (fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride('Timeout', { Ref: 'Timeout' });
    new apigateway.RestApi(stack, 'Api').root.addMethod('GET', new apigateway.LambdaIntegration(fn));
    // WHEN / THEN
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('the retry budget counts the synchronous API hop once per request', () => {
    // GIVEN a method whose function sends to a consumed queue (5 receives)
    const stack = newStack();
    const fn = fnOf(stack, 'Fn', 10);
    new apigateway.RestApi(stack, 'Api').root.addMethod('POST', new apigateway.LambdaIntegration(fn));
    const queue = new sqs.Queue(stack, 'Orders', { visibilityTimeout: Duration.minutes(3), deadLetterQueue: { queue: new sqs.Queue(stack, 'Dlq'), maxReceiveCount: 5 } });
    queue.grantSendMessages(fn);
    const consumer = fnOf(stack, 'Consumer', 10);
    consumer.addEventSource(new sources.SqsEventSource(queue, { reportBatchItemFailures: true }));
    // WHEN
    const paths = RetryBudget.analyze(stack).paths.map(p => [p.hops, p.attempts, p.worstCaseInvocations]);
    // THEN
    expect(paths).toEqual([[['Test/Api/Default/POST', 'Test/Fn', 'Test/Orders', 'Test/Consumer'], [1, 1, 1, 5], 5]]);
  });

  test('the command line reports it from the synthesized template too', () => {
    // GIVEN
    const app = new App({ context: { 'aws:cdk:enable-path-metadata': true } });
    const stack = new Stack(app, 'Shop');
    new apigateway.RestApi(stack, 'Api').root.addMethod('POST', new apigateway.LambdaIntegration(fnOf(stack, 'Slow', 60)));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'api1-')), 'shop.json');
    fs.writeFileSync(file, JSON.stringify(app.synth().getStackByName('Shop').template));
    // WHEN
    let out = '';
    const code = main(['check', file], { out: t => { out += t; }, err: () => undefined });
    // THEN
    expect(code).toBe(1);
    expect(out).toMatch(/ERROR   Resilience-Api1  ApiPOST\w+ \(Shop\/Api\/Default\/POST\/Resource\)/);
    expect(out).toContain('(function Shop/Slow times out after 60 s, the REST API integration after 29 s)');
  });
});
