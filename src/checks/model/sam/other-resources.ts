/**
 * The SAM resources besides functions, state machines and APIs:
 * - `AWS::Serverless::SimpleTable`: a DynamoDB table with one hash key (`id`
 *   of type String unless `PrimaryKey` says otherwise), on demand unless it
 *   sets `ProvisionedThroughput`;
 * - `AWS::Serverless::Application`: a nested stack. Its own resources are in
 *   another template, which the command does not check: the expansion says so;
 * - `AWS::Serverless::LayerVersion`: a Lambda layer version;
 * - `AWS::Serverless::Connector`, and the `Connectors` of a resource: the
 *   grants that change a path: a function's `Write` to a queue, a topic, a
 *   bus, a function or a state machine (a managed policy on the function's
 *   role), and a topic's, rule's or bucket's `Write` to a function (a
 *   permission: those services invoke asynchronously) or to a queue (a queue
 *   policy). Other connectors grant nothing the checks read and are left out.
 * @see https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-connector.html
 */
import { CfnResourceBody, defined, ExpansionContext, getAtt, isObject, listOf, logicalIdOf, ref, samHash, sendToQueuePolicy } from './context';

const KEY_TYPES: Record<string, string> = { String: 'S', Number: 'N', Binary: 'B' };

export function expandSimpleTable(context: ExpansionContext, logicalId: string, resource: CfnResourceBody): void {
  const p: Record<string, any> = resource.Properties ?? {};
  const key = isObject(p.PrimaryKey) ? p.PrimaryKey : { Name: 'id', Type: 'String' };
  context.add(logicalId, {
    Type: 'AWS::DynamoDB::Table',
    ...resource.Condition !== undefined && { Condition: resource.Condition },
    Properties: defined({
      AttributeDefinitions: [{ AttributeName: key.Name, AttributeType: KEY_TYPES[key.Type] ?? key.Type }],
      KeySchema: [{ AttributeName: key.Name, KeyType: 'HASH' }],
      BillingMode: p.ProvisionedThroughput === undefined ? 'PAY_PER_REQUEST' : undefined,
      ProvisionedThroughput: p.ProvisionedThroughput,
      TableName: p.TableName,
      SSESpecification: p.SSESpecification,
      PointInTimeRecoverySpecification: p.PointInTimeRecoverySpecification,
      Tags: isObject(p.Tags) ? Object.entries(p.Tags).map(([Key, Value]) => ({ Key, Value })) : undefined,
    }),
  }, { resource: logicalId });
}

export function expandApplication(context: ExpansionContext, logicalId: string, resource: CfnResourceBody): void {
  const p: Record<string, any> = resource.Properties ?? {};
  const location = p.Location;
  context.add(logicalId, {
    Type: 'AWS::CloudFormation::Stack',
    ...resource.Condition !== undefined && { Condition: resource.Condition },
    Properties: defined({
      TemplateURL: typeof location === 'string' ? location : undefined,
      Parameters: p.Parameters,
      NotificationARNs: p.NotificationARNs,
      TimeoutInMinutes: p.TimeoutInMinutes,
      Tags: [{ Key: 'lambda:createdBy', Value: 'SAM' }, ...Object.entries(isObject(p.Tags) ? p.Tags : {}).map(([Key, Value]) => ({ Key, Value }))],
    }),
  }, { resource: logicalId });
  context.notes.push(`${logicalId}: the resources of this AWS::Serverless::Application are in its own template (${typeof location === 'string' ? location : JSON.stringify(location)}), which is not checked here`);
}

/**
 * A layer version under SAM's logical ID: the layer's own with the hash of the SAM resource (a local `ContentUri`
 * hashed as `s3://bucket/value`, as for a function's code); references to the layer follow it.
 */
export function expandLayerVersion(context: ExpansionContext, logicalId: string, resource: CfnResourceBody): void {
  const given: Record<string, any> = resource.Properties ?? {};
  const local = typeof given.ContentUri === 'string' && !given.ContentUri.startsWith('s3://');
  const p = local ? { ...given, ContentUri: 's3://bucket/value' } : given;
  const { Metadata: _metadata, DeletionPolicy: _deletion, UpdateReplacePolicy: _replace, ...hashed } = { ...resource, Properties: p };
  const id = `${logicalId}${samHash({ [logicalId]: hashed })}`;
  const uri = p.ContentUri;
  const s3 = typeof uri === 'string' ? /^s3:\/\/([^/]+)\/([^?]+)(?:\?versionId=(.+))?$/.exec(uri) : null;
  const content = isObject(uri)
    ? defined({ S3Bucket: uri.Bucket, S3Key: uri.Key, S3ObjectVersion: uri.Version })
    : defined({ S3Bucket: s3?.[1], S3Key: s3?.[2], S3ObjectVersion: s3?.[3] });
  context.renamed.set(logicalId, id);
  context.add(id, {
    Type: 'AWS::Lambda::LayerVersion',
    DeletionPolicy: p.RetentionPolicy === 'Delete' ? 'Delete' : resource.DeletionPolicy ?? 'Retain',
    ...resource.Condition !== undefined && { Condition: resource.Condition },
    Properties: defined({
      Content: content,
      LayerName: p.LayerName ?? logicalId,
      Description: p.Description,
      LicenseInfo: p.LicenseInfo,
      CompatibleRuntimes: p.CompatibleRuntimes,
      CompatibleArchitectures: p.CompatibleArchitectures,
    }),
  }, { resource: logicalId });
}

/** The CloudFormation type of a connector's source or destination, and its ARN, as a connector reads them. */
interface Endpoint { readonly id?: string; readonly type?: string; readonly samType?: string; readonly arn: unknown; readonly roleId?: string }

const CFN_TYPE_OF_SAM: Record<string, string> = {
  'AWS::Serverless::Function': 'AWS::Lambda::Function',
  'AWS::Serverless::StateMachine': 'AWS::StepFunctions::StateMachine',
  'AWS::Serverless::SimpleTable': 'AWS::DynamoDB::Table',
};

/** How each destination type's ARN is written: `Ref` gives it for topics and state machines, `Fn::GetAtt .Arn` for the rest. */
const ARN_BY_REF = ['AWS::SNS::Topic', 'AWS::StepFunctions::StateMachine'];

/** What a function's `Write` to each destination type allows. */
const FUNCTION_WRITES: Record<string, string[]> = {
  'AWS::SQS::Queue': ['sqs:DeleteMessage', 'sqs:SendMessage', 'sqs:ChangeMessageVisibility', 'sqs:PurgeQueue'],
  'AWS::SNS::Topic': ['sns:Publish'],
  'AWS::Events::EventBus': ['events:PutEvents'],
  'AWS::Lambda::Function': ['lambda:InvokeAsync', 'lambda:InvokeFunction'],
  'AWS::StepFunctions::StateMachine': ['states:StartExecution', 'states:StartSyncExecution'],
};

/** The services that invoke a function for a `Write` connector from their resource type. */
const INVOKING_SERVICES: Record<string, string> = {
  'AWS::SNS::Topic': 'sns.amazonaws.com',
  'AWS::Events::Rule': 'events.amazonaws.com',
  'AWS::S3::Bucket': 's3.amazonaws.com',
};

/** Every `AWS::Serverless::Connector`, and every `Connectors` entry of a resource (`<Resource><Name>`). */
export function expandConnectors(context: ExpansionContext): void {
  for (const [logicalId, resource] of Object.entries(context.source)) {
    if (resource?.Type === 'AWS::Serverless::Connector') connector(context, logicalId, resource.Properties ?? {}, logicalId);
    const embedded = resource?.Properties?.Connectors;
    for (const [name, entry] of Object.entries(isObject(embedded) ? embedded : {})) {
      const properties = isObject(entry) && isObject(entry.Properties) ? entry.Properties : {};
      connector(context, `${logicalId}${name}`, { ...properties, Source: { Id: logicalId } }, logicalId);
    }
  }
}

function connector(context: ExpansionContext, logicalId: string, p: Record<string, any>, samResource: string): void {
  if (!listOf(p.Permissions).includes('Write')) return;
  const source = endpoint(context, p.Source);
  const destinations = listOf(p.Destination).map(d => endpoint(context, d));
  const several = destinations.length > 1;
  destinations.forEach((destination, index) => {
    const suffix = several ? `Destination${index}` : '';
    const metadata = { 'aws:sam:connectors': { [logicalId]: { Source: { Type: source.samType }, Destination: { Type: destination.samType } } } };
    const add = (id: string, body: CfnResourceBody) => context.add(id, { ...body, Metadata: metadata }, { resource: samResource });
    const actions = destination.type ? FUNCTION_WRITES[destination.type] : undefined;
    if (source.type === 'AWS::Lambda::Function' && actions && source.roleId) {
      add(`${logicalId}Policy${suffix}`, {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: [destination.arn] }] },
          Roles: [ref(source.roleId)],
        },
      });
    }
    const service = source.type ? INVOKING_SERVICES[source.type] : undefined;
    if (service && destination.type === 'AWS::Lambda::Function') {
      add(`${logicalId}WriteLambdaPermission${suffix}`, {
        Type: 'AWS::Lambda::Permission',
        Properties: defined({
          Action: 'lambda:InvokeFunction',
          FunctionName: destination.arn,
          Principal: service,
          SourceArn: source.arn,
          SourceAccount: service === 's3.amazonaws.com' ? { 'Fn::Sub': '${AWS::AccountId}' } : undefined,
        }),
      });
    }
    if (service && service !== 's3.amazonaws.com' && destination.type === 'AWS::SQS::Queue') {
      add(`${logicalId}QueuePolicy${suffix}`,
        sendToQueuePolicy({ Service: service }, destination.arn, destination.id ? ref(destination.id) : destination.arn, source.arn));
    }
  });
}

function endpoint(context: ExpansionContext, value: unknown): Endpoint {
  if (!isObject(value)) return { arn: undefined };
  const id = typeof value.Id === 'string' ? value.Id : undefined;
  const declared = id ? context.source[id] : undefined;
  const type = CFN_TYPE_OF_SAM[declared?.Type ?? ''] ?? declared?.Type ?? (typeof value.Type === 'string' ? CFN_TYPE_OF_SAM[value.Type] ?? value.Type : undefined);
  const arn = value.Arn ?? (id ? ARN_BY_REF.includes(type ?? '') ? ref(id) : getAtt(id, 'Arn') : undefined);
  let roleId: string | undefined;
  if (declared?.Type === 'AWS::Serverless::Function') {
    roleId = declared.Properties?.Role === undefined ? `${id}Role` : logicalIdOf(declared.Properties.Role);
  } else if (declared?.Type === 'AWS::Lambda::Function') {
    roleId = logicalIdOf(declared.Properties?.Role);
  } else if (isObject(value.RoleName)) {
    roleId = logicalIdOf(value.RoleName);
  }
  return { id, type, samType: declared?.Type ?? value.Type, arn, roleId };
}
