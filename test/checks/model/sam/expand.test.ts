import { pythonJson, samHash } from '../../../../src/checks/model/sam/context';
import { expandSam } from '../../../../src/checks/model/sam/expand';
import { applyGlobals } from '../../../../src/checks/model/sam/globals';
import { processedTemplate, rawTemplate, readNextToFixtures, SAM_FIXTURES } from '../../../fixtures/sam-templates';

/** The types whose properties the checks read, and so must be the translator's. */
const READ_TYPES = [
  'AWS::Lambda::Function', 'AWS::Lambda::EventSourceMapping', 'AWS::Lambda::EventInvokeConfig', 'AWS::Lambda::Permission', 'AWS::Lambda::Alias',
  'AWS::SNS::Subscription', 'AWS::SNS::Topic', 'AWS::SQS::Queue', 'AWS::Events::Rule', 'AWS::S3::Bucket', 'AWS::StepFunctions::StateMachine',
  'AWS::IAM::ManagedPolicy', 'AWS::Scheduler::Schedule', 'AWS::DynamoDB::Table', 'AWS::CloudFormation::Stack',
];

/** The actions whose grants the checks read. */
const SEND_ACTIONS = /^(sqs:SendMessage|sns:Publish|events:PutEvents|lambda:InvokeFunction|states:StartExecution)/i;

/** A value with `Fn::GetAtt` in its array form and object keys sorted, to compare templates as the checks read them. */
function normal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normal);
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (typeof o['Fn::GetAtt'] === 'string') return { 'Fn::GetAtt': (o['Fn::GetAtt'] as string).split('.') };
  return Object.fromEntries(Object.keys(o).sort().map(k => [k, normal(o[k])]));
}

function grantsSend(statement: any): boolean {
  return [statement.Action].flat().some((action: string) => SEND_ACTIONS.test(action));
}

/** The statements of a role that grant what the checks read, by policy name (policies without one left out). */
function sendGrants(role: any): unknown {
  return (role.Properties?.Policies ?? [])
    .map((p: any) => [p.PolicyName, normal((p.PolicyDocument.Statement ?? []).filter(grantsSend))])
    .filter(([, statements]: [string, unknown[]]) => statements.length > 0);
}

describe('expandSam', () => {
  test.each(SAM_FIXTURES)('%s: the translator\'s logical IDs and types, and its properties where the checks read them', name => {
    // GIVEN
    const processed = processedTemplate(name).Resources;
    // WHEN
    const expanded = expandSam(rawTemplate(name), readNextToFixtures).template.Resources as Record<string, any>;
    // THEN the same resources, but for the hash in a REST API deployment's logical ID (SAM hashes Python's repr of its body)
    const ids = (resources: Record<string, any>) => Object.keys(resources).map(id => resources[id].Type === 'AWS::ApiGateway::Deployment'
      ? `${id.replace(/[0-9a-f]{10}$/, '<hash>')} ${resources[id].Type}` : `${id} ${resources[id].Type}`).sort();
    expect(ids(expanded)).toEqual(ids(processed));
    for (const [id, resource] of Object.entries(processed) as Array<[string, any]>) {
      if (READ_TYPES.includes(resource.Type)) expect([id, normal(expanded[id])]).toEqual([id, normal(resource)]);
      if (resource.Type === 'AWS::IAM::Role') expect([id, sendGrants(expanded[id])]).toEqual([id, sendGrants(resource)]);
    }
  });

  test('each generated resource remembers the SAM resource and event it comes from', () => {
    // GIVEN
    const { origins } = expandSam(rawTemplate('fan-out'));
    // WHEN / THEN
    expect(origins.get('MailerBufferedNoticeEventSourceMapping')).toEqual({ resource: 'Mailer', event: 'BufferedNotice' });
    expect(origins.get('OrderListenerCancelledQueue')).toEqual({ resource: 'OrderListener', event: 'Cancelled' });
    expect(origins.get('MailerRole')).toEqual({ resource: 'Mailer' });
    expect(origins.get('Notices')).toBeUndefined();
  });

  test('a reference to a function\'s .Alias or .Version names the alias or version SAM generates', () => {
    // GIVEN
    const template = {
      Transform: 'AWS::Serverless-2016-10-31',
      Resources: {
        Fn: { Type: 'AWS::Serverless::Function', Properties: { InlineCode: 'x', Handler: 'i.h', Runtime: 'nodejs22.x', AutoPublishAlias: 'live' } },
        Rule: { Type: 'AWS::Events::Rule', Properties: { Targets: [{ Id: 't', Arn: { Ref: 'Fn.Alias' } }, { Id: 'v', Arn: { Ref: 'Fn.Version' } }] } },
      },
    };
    // WHEN
    const resources = expandSam(template).template.Resources as Record<string, any>;
    // THEN
    const version = Object.keys(resources).find(id => id.startsWith('FnVersion'));
    expect(resources.Rule.Properties.Targets.map((t: any) => t.Arn)).toEqual([{ Ref: 'FnAliaslive' }, { Ref: version }]);
  });

  test('a SAM type or event it does not expand is listed, and the rest is expanded', () => {
    // GIVEN
    const template = {
      Resources: {
        Graph: { Type: 'AWS::Serverless::GraphQLApi', Properties: {} },
        Fn: {
          Type: 'AWS::Serverless::Function',
          Properties: { InlineCode: 'x', Handler: 'i.h', Runtime: 'nodejs22.x', Events: { Mail: { Type: 'SES' }, Clicks: { Type: 'Kinesis', Properties: { Stream: 'arn:aws:kinesis:us-east-1:1:stream/c' } } } },
        },
      },
    };
    // WHEN
    const { unchecked, template: expanded } = expandSam(template);
    // THEN
    expect(unchecked).toEqual([
      { logicalId: 'Graph', what: 'AWS::Serverless::GraphQLApi' },
      { logicalId: 'Fn', what: 'AWS::Serverless::Function event of type "SES"', event: 'Mail' },
    ]);
    expect(Object.keys(expanded.Resources as object).sort()).toEqual(['Fn', 'FnClicks', 'FnRole']);
  });

  test('a state machine\'s AutoPublishAlias is listed: its version and alias are not expanded', () => {
    // GIVEN
    const template = { Resources: { Flow: { Type: 'AWS::Serverless::StateMachine', Properties: { Definition: { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }, AutoPublishAlias: 'live' } } } };
    // WHEN / THEN
    expect(expandSam(template).unchecked).toEqual([{ logicalId: 'Flow', what: 'AWS::Serverless::StateMachine AutoPublishAlias (its version and alias)' }]);
  });

  test('fails if two generated resources take one logical ID: the SAM resource is listed, with the ID', () => {
    // GIVEN a plain resource that already has the name SAM gives the event's rule
    const template = {
      Resources: {
        FnTick: { Type: 'AWS::SQS::Queue' },
        Fn: { Type: 'AWS::Serverless::Function', Properties: { InlineCode: 'x', Handler: 'i.h', Runtime: 'nodejs22.x', Events: { Tick: { Type: 'Schedule', Properties: { Schedule: 'rate(1 hour)' } } } } },
      },
    };
    // WHEN
    const { unchecked } = expandSam(template);
    // THEN
    expect(unchecked).toEqual([{ logicalId: 'Fn', what: 'AWS::Serverless::Function (the SAM expansion makes two resources with the logical ID \'FnTick\' (from Fn, event Tick))' }]);
  });

  test('an S3 event whose bucket is not in the template is listed (SAM refuses it)', () => {
    // GIVEN
    const template = {
      Resources: {
        Fn: { Type: 'AWS::Serverless::Function', Properties: { InlineCode: 'x', Handler: 'i.h', Runtime: 'nodejs22.x', Events: { Upload: { Type: 'S3', Properties: { Bucket: 'shared-bucket', Events: 's3:ObjectCreated:*' } } } } },
      },
    };
    // WHEN / THEN
    expect(expandSam(template).unchecked).toEqual([
      { logicalId: 'Fn', what: 'AWS::Serverless::Function event of type "S3" whose bucket is not an AWS::S3::Bucket of the template', event: 'Upload' },
    ]);
  });
});

describe('applyGlobals', () => {
  test('maps merge key by key, lists add up, anything else is the resource\'s own', () => {
    // GIVEN
    const globals = { Function: { Timeout: 30, Environment: { Variables: { STAGE: 'prod', LOG: 'info' } }, Layers: ['arn:a'], Tags: { Ref: 'Tags' } } };
    const resources = {
      Fn: { Type: 'AWS::Serverless::Function', Properties: { Timeout: 5, Environment: { Variables: { LOG: 'debug' } }, Layers: ['arn:b'], Tags: { team: 'x' } } },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 1 } },
    };
    // WHEN
    const merged = applyGlobals(resources, globals);
    // THEN
    expect(merged.Fn.Properties).toEqual({ Timeout: 5, Environment: { Variables: { STAGE: 'prod', LOG: 'debug' } }, Layers: ['arn:a', 'arn:b'], Tags: { team: 'x' } });
    expect(merged.Queue).toBe(resources.Queue);
  });
});

describe('samHash', () => {
  test('hashes JSON as Python writes it: sorted keys, no spaces, ASCII only', () => {
    // GIVEN / WHEN / THEN (the first value is what SAM hashes for the code of `s3://bucket/value`)
    expect(pythonJson({ S3Key: 'value', S3Bucket: 'bucket' })).toBe('{"S3Bucket":"bucket","S3Key":"value"}');
    expect(pythonJson({ b: [1, { d: 'é' }], a: true })).toBe('{"a":true,"b":[1,{"d":"\\u00e9"}]}');
    expect(pythonJson({ a: [1], b: {} }, 4)).toBe('{\n    "a": [\n        1\n    ],\n    "b": {}\n}');
    expect(samHash({ S3Bucket: 'bucket', S3Key: 'value' })).toMatch(/^[0-9a-f]{10}$/);
    expect(samHash('abcdef0123456789', 10)).toBe(samHash('abcdef0123456789'));
  });
});
