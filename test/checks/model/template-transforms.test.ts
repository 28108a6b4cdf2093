import { applyTransforms, transformNames } from '../../../src/checks/model/template-transforms';

const queue = { Type: 'AWS::SQS::Queue', Properties: {} };

describe('applyTransforms', () => {
  test('AWS::LanguageExtensions: only the resources that use its functions are left unchecked', () => {
    // GIVEN
    const template = {
      Transform: 'AWS::LanguageExtensions',
      Resources: {
        'Plain': queue,
        'Sized': { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: { 'Fn::Length': [1, 2] } } },
        'Fn::ForEach::Queues': ['Name', ['A', 'B'], { 'Queue${Name}': queue }],
      },
    };
    // WHEN
    const { unchecked } = applyTransforms(template);
    // THEN
    expect(unchecked).toEqual([{
      transform: 'AWS::LanguageExtensions',
      logicalIds: ['Sized', 'Fn::ForEach::Queues'],
      parts: ['Sized (uses Fn::ForEach, Fn::Length or Fn::ToJsonString)', 'Fn::ForEach::Queues (uses Fn::ForEach, Fn::Length or Fn::ToJsonString)'],
    }]);
    expect(applyTransforms({ Transform: 'AWS::LanguageExtensions', Resources: { Plain: queue } }).unchecked).toEqual([]);
  });

  test('a macro leaves unchecked what it adds or changes, and the resources of its own types', () => {
    // GIVEN
    const template = { Transform: [{ Name: 'Shop::Expander', Parameters: {} }], Resources: { Plain: queue, Custom: { Type: 'Shop::Queue' }, Handler: { Type: 'Custom::Thing' } } };
    // WHEN / THEN
    expect(applyTransforms(template).unchecked).toEqual([{
      transform: 'Shop::Expander',
      logicalIds: ['Custom'],
      parts: ['what the transform adds to or changes in the template', 'Custom (Shop::Queue)'],
    }]);
  });

  test('Fn::Transform in a resource or in Resources leaves that content unchecked, under the transform it names', () => {
    // GIVEN
    const template = {
      Transform: 'AWS::Serverless-2016-10-31',
      Resources: {
        'Included': { Type: 'AWS::SQS::Queue', Properties: { 'Fn::Transform': { Name: 'AWS::Include', Parameters: { Location: 's3://b/queue.yaml' } } } },
        'Fn::Transform': { Name: 'AWS::Include', Parameters: { Location: 's3://b/more.yaml' } },
      },
    };
    // WHEN
    const { unchecked } = applyTransforms(template);
    // THEN
    expect(unchecked).toEqual([{
      transform: 'AWS::Include',
      logicalIds: ['Included', 'Fn::Transform'],
      parts: ['Included (its content comes from Fn::Transform)', 'the resources that Fn::Transform adds to Resources'],
    }]);
  });

  test('an OpenAPI body that a SAM API includes with AWS::Include is noted, not left unchecked: no rule reads it', () => {
    // GIVEN the usual way of giving a SAM API its OpenAPI document
    const include = { 'Fn::Transform': { Name: 'AWS::Include', Parameters: { Location: 'openapi.yaml' } } };
    const template = { Transform: 'AWS::Serverless-2016-10-31', Resources: { Api: { Type: 'AWS::Serverless::Api', Properties: { StageName: 'v1', DefinitionBody: include } } } };
    // WHEN
    const { unchecked, notes } = applyTransforms(template);
    // THEN
    expect(unchecked).toEqual([]);
    expect(notes).toEqual(['Api: its OpenAPI body comes from Fn::Transform, which is not read; no rule reads an API\'s body']);
  });

  test('AWS::LanguageExtensions with SAM: an Fn::ForEach entry is listed even though the SAM expansion drops it', () => {
    // GIVEN
    const template = {
      Transform: ['AWS::LanguageExtensions', 'AWS::Serverless-2016-10-31'],
      Resources: { 'Fn::ForEach::Queues': ['Name', ['A', 'B'], { 'Queue${Name}': queue }] },
    };
    // WHEN / THEN
    expect(applyTransforms(template).unchecked.map(u => [u.transform, u.logicalIds])).toEqual([['AWS::LanguageExtensions', ['Fn::ForEach::Queues']]]);
  });

  test('the SAM transform is expanded; its origins and notes are handed on', () => {
    // GIVEN
    const template = {
      Transform: ['AWS::Serverless-2016-10-31'],
      Resources: { Flow: { Type: 'AWS::Serverless::StateMachine', Properties: { DefinitionUri: { Bucket: 'b', Key: 'k.json' }, Role: 'arn:aws:iam::1:role/r' } } },
    };
    // WHEN
    const result = applyTransforms(template);
    // THEN
    expect(result.transforms).toEqual(['AWS::Serverless-2016-10-31']);
    expect(result.template.Resources.Flow.Properties.DefinitionS3Location).toEqual({ Bucket: 'b', Key: 'k.json' });
    expect(result.template.Transform).toBeUndefined();
    expect(result.origins.get('Flow')).toEqual({ resource: 'Flow' });
    expect(result.notes).toEqual(['Flow: the state machine\'s definition is in S3 ({"Bucket":"b","Key":"k.json"}), which is not read: its states are not checked']);
    expect(result.unchecked).toEqual([]);
  });
});

describe('transformNames', () => {
  test('a name, a list of names, or objects with a Name', () => {
    expect(transformNames('AWS::Serverless-2016-10-31')).toEqual(['AWS::Serverless-2016-10-31']);
    expect(transformNames(['A', { Name: 'B', Parameters: {} }])).toEqual(['A', 'B']);
    expect(transformNames(undefined)).toEqual([]);
  });
});
