import { App, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ResilienceChecks, RetryBudget } from '../../../src';
import { templateStack } from '../../../src/checks/model/template-stack';
import { consumerTemplate, consumerWithoutRedrive } from '../../fixtures/templates';
import { handlerProps } from '../../helpers';

/** `<rule> <logical id>` of every finding of `ResilienceChecks.checkTemplate`. */
function checked(template: unknown): string[] {
  return ResilienceChecks.checkTemplate(template).violations
    .flatMap(v => v.violatingResources.map(r => `${v.ruleName} ${r.resourceLogicalId}`)).sort();
}

/** A synthesized app's template, with `aws:cdk:path` metadata as the CDK CLI writes it. */
function synthesized(build: (stack: Stack) => void): { app: App; template: any } {
  const app = new App({ context: { 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, 'Shop');
  build(stack);
  return { app, template: app.synth().getStackByName('Shop').template };
}

/** What a consumed queue without a redrive policy gets: SQS1, and RetryBudget1 for its receives until the retention ends. */
const NO_REDRIVE = ['Resilience-RetryBudget1 Orders', 'Resilience-SQS1 Orders'];

describe('ResilienceChecks.checkTemplate', () => {
  test('reports a queue that a function consumes without a redrive policy, by logical ID', () => {
    // GIVEN a hand-written template
    const template = consumerWithoutRedrive();
    // WHEN
    const report = ResilienceChecks.checkTemplate(template);
    // THEN
    expect(checked(template)).toEqual(NO_REDRIVE);
    expect(report.success).toBe(false);
    expect(report.violations.find(v => v.ruleName === 'Resilience-SQS1')?.violatingResources[0].constructPath).toBe('Template/Orders');
  });

  test('defaults: no finding on a consumer with a redrive policy to a dead-letter queue', () => {
    // GIVEN / WHEN
    const report = ResilienceChecks.checkTemplate(consumerTemplate());
    // THEN
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  test('reports the numbers behind a finding and passes its props on', () => {
    // GIVEN maxReceiveCount 2 (a warning)
    const template = consumerTemplate({ queue: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['OrdersDeadLetters', 'Arn'] }, maxReceiveCount: 2 } } });
    // WHEN
    const lenient = ResilienceChecks.checkTemplate(template);
    const strict = ResilienceChecks.checkTemplate(template, { failOnWarnings: true });
    // THEN
    expect(lenient.violations.map(v => v.description)).toEqual([expect.stringContaining('(maxReceiveCount 2; at least 5 recommended)')]);
    expect(lenient.success).toBe(true);
    expect(strict.success).toBe(false);
  });

  test('honours cdk-nag\'s cdk_nag metadata, in either form of the rule id, and only for the findings it names', () => {
    // GIVEN the suppression cdk-nag writes into a template (writeSuppressionsToCloudFormation)
    const acknowledged = (id: string, extra = {}) => consumerWithoutRedrive({ cdk_nag: { rules_to_suppress: [{ id, reason: 'drained by hand', ...extra }] } });
    // WHEN / THEN
    expect(checked(acknowledged('Resilience-SQS1'))).toEqual(['Resilience-RetryBudget1 Orders']);
    expect(checked(acknowledged('Resilience::Resilience-SQS1'))).toEqual(['Resilience-RetryBudget1 Orders']);
    expect(checked(acknowledged('Resilience-SQS2'))).toEqual(NO_REDRIVE);
    // cdk-nag's applies_to narrows a suppression to findings `<rule>[<finding>]`, which this rule never has
    expect(checked(acknowledged('Resilience-SQS1', { applies_to: ['Resource::*'] }))).toEqual(NO_REDRIVE);
  });

  test('never throws on what deployment decides: parameters, conditions, imports, Fn::If', () => {
    // GIVEN
    const template = consumerWithoutRedrive();
    template.Parameters = { Timeout: { Type: 'Number' } };
    template.Conditions = { Never: { 'Fn::Equals': ['a', 'b'] } };
    template.Resources.Orders.Condition = 'Never';
    template.Resources.Orders.Properties.VisibilityTimeout = { Ref: 'Timeout' };
    template.Resources.Handler.Properties.Role = { 'Fn::ImportValue': 'shared-role' };
    template.Resources.Handler.Properties.Timeout = { 'Fn::If': ['Never', 60, 30] };
    template.Resources.Unknown = { Type: 'Custom::Thing', Properties: { ServiceToken: { 'Fn::ImportValue': 'provider' } } };
    // WHEN / THEN the queue is still found (conditions are not evaluated); what cannot be read is not reported:
    // without a redrive policy, its receives rest on the visibility timeout, a parameter, so no retry count is claimed
    expect(checked(template)).toEqual(['Resilience-SQS1 Orders']);
  });

  test.each([
    ['a parameter', { Ref: 'Visibility' }],
    ['an import', { 'Fn::ImportValue': 'visibility' }],
    ['a condition', { 'Fn::If': ['Long', 900, 20] }],
  ])('a visibility timeout from %s is unknown: no Resilience-SQS2 rests on it', (_, value) => {
    // GIVEN SQS's default (30 s) would be below 6 × the function's 30 s
    const template = consumerTemplate({ queue: { VisibilityTimeout: value } });
    template.Parameters = { Visibility: { Type: 'Number', Default: 20 } };
    // WHEN / THEN
    expect(checked(template)).toEqual([]);
  });

  test('a function timeout from a parameter is unknown, never 3 s; a value given for the parameter is read', () => {
    // GIVEN a queue of 120 s before a function whose timeout is a parameter (60 s when deployed)
    const template = consumerTemplate({ queue: { VisibilityTimeout: 120 } });
    template.Parameters = { Timeout: { Type: 'Number' } };
    template.Resources.Handler.Properties.Timeout = { Ref: 'Timeout' };
    // WHEN / THEN nothing rests on the unknown timeout (3 s would pass 120 s)
    expect(checked(template)).toEqual([]);
    // and with the parameter's value, the visibility timeout is below 6 × 60 s
    const report = ResilienceChecks.checkTemplate(template);
    expect(report.success).toBe(true);
    const withValue = new ResilienceChecks(undefined, {}).validateScope(templateStack(template, { parameters: { Timeout: '60' } }).stack);
    expect(withValue.violations.map(v => v.ruleName)).toEqual(['Resilience-SQS2']);
    expect(withValue.violations[0].description).toMatch(/visibility timeout 120 s of .*Orders; needs at least 360 s = 6 × function timeout 60 s \+ batching window 0 s/);
  });

  test('a redrive policy left to a condition is neither a finding nor a count of receives', () => {
    // GIVEN
    const template = consumerTemplate({
      queue: { RedrivePolicy: { 'Fn::If': ['WithDlq', { deadLetterTargetArn: { 'Fn::GetAtt': ['OrdersDeadLetters', 'Arn'] }, maxReceiveCount: 5 }, { Ref: 'AWS::NoValue' }] } },
    });
    // WHEN / THEN no SQS1, and the path's count is unknown, not 1,920 receives
    expect(checked(template)).toEqual([]);
    expect(RetryBudget.fromTemplate(template).paths).toEqual([{
      hops: ['Template/Orders', 'Template/Handler'], attempts: [1, 1], worstCaseInvocations: 1, cyclic: false, certainLoop: false, countUnknown: true,
    }]);
  });

  test('maxReceiveCount from Fn::FindInMap with literal keys is read: Resilience-SQS6 and a count of 3', () => {
    // GIVEN
    const template = consumerTemplate({
      queue: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['OrdersDeadLetters', 'Arn'] }, maxReceiveCount: { 'Fn::FindInMap': ['Receives', 'orders', 'max'] } } },
    });
    template.Mappings = { Receives: { orders: { max: 3 } } };
    // WHEN / THEN
    expect(checked(template)).toEqual(['Resilience-SQS6 Orders']);
    expect(RetryBudget.fromTemplate(template).paths.map(p => p.attempts)).toEqual([[1, 3]]);
  });

  test('Fn::FindInMap keyed by the region, and maxReceiveCount from a parameter, are unknown', () => {
    // GIVEN
    const template = consumerTemplate({
      queue: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['OrdersDeadLetters', 'Arn'] }, maxReceiveCount: { 'Fn::FindInMap': ['Receives', { Ref: 'AWS::Region' }, 'max'] } } },
    });
    template.Mappings = { Receives: { 'eu-west-1': { max: 3 } } };
    // WHEN / THEN
    expect(checked(template)).toEqual([]);
    expect(RetryBudget.fromTemplate(template).paths.map(p => p.countUnknown)).toEqual([true]);
  });

  test('Fn::Select of a literal list and Fn::Join of literals are read', () => {
    // GIVEN a visibility timeout of 60 s (below 6 × 30 s) selected from a list, and a queue name joined from literals
    const template = consumerTemplate({ queue: { VisibilityTimeout: { 'Fn::Select': ['1', [900, 60]] }, QueueName: { 'Fn::Join': ['-', ['orders', 'eu']] } } });
    // WHEN / THEN
    expect(checked(template)).toEqual(['Resilience-SQS2 OrdersMapping']);
  });

  test.each([
    ['a JSON string', '{"deadLetterTargetArn": "arn:aws:sqs:eu-west-1:111122223333:dlq", "maxReceiveCount": 5}'],
    ['Fn::Sub of a JSON string', { 'Fn::Sub': '{"deadLetterTargetArn": "${OrdersDeadLetters.Arn}", "maxReceiveCount": 5}' }],
  ])('a redrive policy given as %s is the redrive policy: no Resilience-SQS1, 5 receives', (_, policy) => {
    // GIVEN
    const template = consumerTemplate({ queue: { RedrivePolicy: policy } });
    // WHEN / THEN
    expect(checked(template)).toEqual([]);
    expect(RetryBudget.fromTemplate(template).paths.map(p => [p.attempts, p.worstCaseInvocations])).toEqual([[[1, 5], 5]]);
  });

  test('a retention that the visibility timeout does not divide: every receive that fits counts (ceil)', () => {
    // GIVEN no redrive policy, a retention of 1,000 s and a visibility timeout of 180 s: receives at 0, 180, ..., 900 s
    const template = consumerWithoutRedrive();
    template.Resources.Orders.Properties.MessageRetentionPeriod = 1000;
    // WHEN / THEN six receives, not five
    expect(RetryBudget.fromTemplate(template).paths.map(p => p.attempts)).toEqual([[1, 6]]);
  });

  test('fails if the template has no Resources', () => {
    expect(() => ResilienceChecks.checkTemplate({ Outputs: {} })).toThrow(/not a CloudFormation template: it has no Resources object/);
    expect(() => RetryBudget.fromTemplate('Resources')).toThrow(/not a CloudFormation template/);
  });
});

describe('RetryBudget.fromTemplate', () => {
  test('walks a hand-written template, hops named by logical ID', () => {
    // GIVEN / WHEN
    const report = RetryBudget.fromTemplate(consumerTemplate());
    // THEN
    expect(report.paths).toEqual([{ hops: ['Template/Orders', 'Template/Handler'], attempts: [1, 5], worstCaseInvocations: 5, cyclic: false, certainLoop: false }]);
  });

  test('equals analyze() on the app the template was synthesized from', () => {
    // GIVEN an app whose function sends to a second queue it consumes
    const { app, template } = synthesized(stack => {
      const orders = new sqs.Queue(stack, 'Orders', { deadLetterQueue: { queue: new sqs.Queue(stack, 'Dlq'), maxReceiveCount: 5 } });
      const fn = new lambda.Function(stack, 'Fn', handlerProps);
      fn.addEventSource(new sources.SqsEventSource(orders, { reportBatchItemFailures: true }));
      const next = new sqs.Queue(stack, 'Next', { deadLetterQueue: { queue: new sqs.Queue(stack, 'NextDlq'), maxReceiveCount: 3 } });
      next.grantSendMessages(fn);
      new lambda.Function(stack, 'Then', handlerProps).addEventSource(new sources.SqsEventSource(next));
    });
    // WHEN
    const fromTemplate = RetryBudget.fromTemplate(template);
    // THEN
    expect(fromTemplate.paths).toEqual(RetryBudget.analyze(app).paths);
    expect(fromTemplate.paths[0].hops).toEqual(['Shop/Orders', 'Shop/Fn', 'Shop/Next', 'Shop/Then']);
    expect(fromTemplate.paths[0].worstCaseInvocations).toBe(15);
  });
});

describe('templateStack', () => {
  test('rebuilds each resource at its construct path, with its logical ID, type, properties and attributes', () => {
    // GIVEN
    const { template } = synthesized(stack => {
      new sqs.Queue(stack, 'Orders');
    });
    template.Resources.OrdersB0C2F8B9 = { ...template.Resources[Object.keys(template.Resources)[0]], DependsOn: ['X'] };
    // WHEN
    const rebuilt = templateStack(template);
    // THEN
    const queue = rebuilt.stack.node.findChild('Orders').node.findChild('Resource');
    expect(rebuilt.stack.node.path).toBe('Shop');
    expect(rebuilt.logicalIds.get('Shop/Orders/Resource')).toBe(Object.keys(template.Resources)[0]);
    expect(rebuilt.stack.resolve((queue as any).logicalId)).toBe(Object.keys(template.Resources)[0]);
    // the copy under another logical ID finds its path taken and goes under the stack
    expect(rebuilt.logicalIds.get('Shop/OrdersB0C2F8B9')).toBe('OrdersB0C2F8B9');
    expect(rebuilt.placedByLogicalId).toEqual(new Set(['Shop/OrdersB0C2F8B9']));
    const rendered = rebuilt.stack.resolve((rebuilt.stack as any)._toCloudFormation());
    expect(rendered.Resources.OrdersB0C2F8B9).toEqual({ ...template.Resources.OrdersB0C2F8B9 });
  });

  test('writes out Fn::Sub and the string form of Fn::GetAtt, as the model reads them', () => {
    // GIVEN
    const template = {
      Resources: {
        Q: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            A: { 'Fn::GetAtt': 'Dlq.Arn' },
            B: { 'Fn::Sub': 'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${Dlq.QueueName}-${!Literal}' },
            C: { 'Fn::Sub': ['${Name}-x', { Name: { Ref: 'Dlq' } }] },
            D: { 'Fn::Sub': 'plain' },
          },
        },
      },
    };
    // WHEN
    const rebuilt = templateStack(template);
    // THEN
    const rendered = rebuilt.stack.resolve((rebuilt.stack as any)._toCloudFormation()).Resources.Q.Properties;
    expect(rendered).toEqual({
      A: { 'Fn::GetAtt': ['Dlq', 'Arn'] },
      B: {
        'Fn::Join': ['', [
          'arn:', { Ref: 'AWS::Partition' }, ':sqs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':',
          { 'Fn::GetAtt': ['Dlq', 'QueueName'] }, '-${Literal}',
        ]],
      },
      C: { 'Fn::Join': ['', [{ Ref: 'Dlq' }, '-x']] },
      D: 'plain',
    });
  });

  test('records the acknowledgements of a cloud assembly on the constructs they name', () => {
    // GIVEN an acknowledgement on the L2 above the queue resource, as Validations.acknowledge() records it
    const { template } = synthesized(stack => {
      const queue = new sqs.Queue(stack, 'Orders');
      new lambda.Function(stack, 'Fn', handlerProps).addEventSource(new sources.SqsEventSource(queue, { reportBatchItemFailures: true }));
    });
    // WHEN
    const rebuilt = templateStack(template, { acknowledgements: [{ path: '/Shop/Orders', rules: { 'Annotation::Resilience-SQS1': 'drained by hand' } }] });
    // THEN
    const findings = new ResilienceChecks().validateScope(rebuilt.stack).violations.map(v => v.ruleName);
    expect(findings).not.toContain('Resilience-SQS1');
    expect(findings).toContain('Resilience-SQS2');
    expect(Validations.ACKNOWLEDGED_RULES_METADATA_KEY).toBe('aws:cdk:acknowledged-rules');
  });
});
