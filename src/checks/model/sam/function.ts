/**
 * `AWS::Serverless::Function` as SAM expands it: the function, its role
 * (`<Function>Role`, unless the function names one), its version and alias
 * (`AutoPublishAlias`: `<Function>Version<hash>`, `<Function>Alias<name>`), its
 * `EventInvokeConfig` (`<Function>EventInvokeConfig`, with the queue or topic
 * SAM creates for a destination of type `SQS` or `SNS` that names none), its
 * dead-letter queue, its URL (`FunctionUrlConfig`), its CodeDeploy deployment
 * group (`DeploymentPreference`, without hooks or alarms), and its events
 * (`function-events.ts`).
 * @see https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html
 */
import { CfnResourceBody, defined, ExpansionContext, getAtt, isObject, passedThrough, ref, samHash, SamOrigin } from './context';
import { expandFunctionEvents, FunctionHandle } from './function-events';
import { GeneratedRole, lambdaManagedPolicy } from './policies';

/** The properties that SAM passes to the `AWS::Lambda::Function` as they are. */
const PASSED_ON = [
  'Handler', 'Runtime', 'Description', 'MemorySize', 'Timeout', 'Environment', 'VpcConfig', 'KmsKeyArn', 'Layers',
  'ReservedConcurrentExecutions', 'FunctionName', 'Architectures', 'EphemeralStorage', 'PackageType', 'ImageConfig',
  'FileSystemConfigs', 'CodeSigningConfigArn', 'SnapStart', 'RuntimeManagementConfig', 'LoggingConfig', 'RecursiveLoop',
];

/** What a destination of each `Type` lets the function's role do, and the name SAM gives the type in the policy's name. */
const DESTINATION_GRANTS: Record<string, { name: string; statements: (destination: unknown) => Array<Record<string, unknown>> }> = {
  SQS: { name: 'SQS', statements: d => [{ Action: 'sqs:SendMessage', Effect: 'Allow', Resource: d }] },
  SNS: { name: 'SNS', statements: d => [{ Action: 'sns:publish', Effect: 'Allow', Resource: d }] },
  Lambda: { name: 'Lambda', statements: d => [{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: d }] },
  EventBridge: { name: 'EventBridge', statements: d => [{ Action: 'events:PutEvents', Effect: 'Allow', Resource: d }] },
  S3Bucket: {
    name: 'S3',
    statements: d => [
      { Action: 's3:PutObject', Effect: 'Allow', Resource: { 'Fn::Join': ['/', [d, '*']] } },
      { Action: 's3:ListBucket', Effect: 'Allow', Resource: d },
    ],
  },
};

export function expandFunction(context: ExpansionContext, logicalId: string, resource: CfnResourceBody): void {
  const p = resource.Properties ?? {};
  const origin: SamOrigin = { resource: logicalId };
  const attributes = passedThrough(resource);
  const add = (id: string, body: CfnResourceBody, from: SamOrigin = origin) => context.add(id, { ...body, ...attributes }, from);

  let role: GeneratedRole | undefined;
  if (p.Role === undefined) {
    role = new GeneratedRole(`${logicalId}Role`, 'lambda.amazonaws.com');
    role.addManaged(lambdaManagedPolicy('AWSLambdaBasicExecutionRole'));
    if (p.Tracing === 'Active') role.addManaged('arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess');
    if (p.VpcConfig !== undefined) role.addManaged(lambdaManagedPolicy('AWSLambdaVPCAccessExecutionRole'));
  }

  const aliasName = context.literal(p.AutoPublishAlias);
  const alias = typeof aliasName === 'string' && aliasName !== '' ? `${logicalId}Alias${aliasName.replace(/-/g, 'D').replace(/_/g, 'U')}` : undefined;
  const eventInvokeConfig = isObject(p.EventInvokeConfig) ? destinationsOf(context, logicalId, p.EventInvokeConfig, role, add) : undefined;
  role?.addUserPolicies(p.Policies);

  const deadLetter = isObject(p.DeadLetterQueue) ? p.DeadLetterQueue : undefined;
  if (deadLetter && role) {
    role.addPolicy('DeadLetterQueuePolicy', {
      Version: '2012-10-17',
      Statement: [{ Action: deadLetter.Type === 'SNS' ? 'sns:Publish' : 'sqs:SendMessage', Effect: 'Allow', Resource: deadLetter.TargetArn }],
    });
  }

  const properties: Record<string, unknown> = defined({
    ...Object.fromEntries(PASSED_ON.map(key => [key, p[key]])),
    Code: codeOf(p),
    Role: p.Role ?? getAtt(`${logicalId}Role`, 'Arn'),
    DeadLetterConfig: deadLetter ? { TargetArn: deadLetter.TargetArn } : undefined,
    TracingConfig: typeof p.Tracing === 'string' ? { Mode: p.Tracing } : undefined,
    Tags: [{ Key: 'lambda:createdBy', Value: 'SAM' }, ...Object.entries(isObject(p.Tags) ? p.Tags : {}).map(([Key, Value]) => ({ Key, Value }))],
  });
  add(logicalId, { Type: 'AWS::Lambda::Function', ...resource.DependsOn !== undefined && { DependsOn: resource.DependsOn }, Properties: properties });

  if (alias) {
    const version = `${logicalId}Version${versionHash(p, properties)}`;
    add(version, { Type: 'AWS::Lambda::Version', DeletionPolicy: 'Retain', Properties: defined({ FunctionName: ref(logicalId), Description: p.VersionDescription }) });
    const shifted = isObject(p.DeploymentPreference);
    add(alias, {
      Type: 'AWS::Lambda::Alias',
      ...shifted && {
        UpdatePolicy: {
          CodeDeployLambdaAliasUpdate: { ApplicationName: ref('ServerlessDeploymentApplication'), DeploymentGroupName: ref(`${logicalId}DeploymentGroup`) },
        },
      },
      Properties: defined({
        Name: aliasName,
        FunctionName: ref(logicalId),
        FunctionVersion: getAtt(version, 'Version'),
        ProvisionedConcurrencyConfig: p.ProvisionedConcurrencyConfig,
      }),
    });
  }

  if (eventInvokeConfig) {
    add(`${logicalId}EventInvokeConfig`, {
      Type: 'AWS::Lambda::EventInvokeConfig',
      ...alias && { DependsOn: [alias] },
      Properties: defined({
        FunctionName: ref(logicalId),
        Qualifier: alias ? aliasName : '$LATEST',
        MaximumEventAgeInSeconds: eventInvokeConfig.MaximumEventAgeInSeconds,
        MaximumRetryAttempts: eventInvokeConfig.MaximumRetryAttempts,
        DestinationConfig: eventInvokeConfig.DestinationConfig,
      }),
    });
  }

  if (isObject(p.FunctionUrlConfig)) functionUrl(add, logicalId, p.FunctionUrlConfig, alias);
  if (isObject(p.DeploymentPreference) && alias) deploymentPreference(context, add, logicalId, p.DeploymentPreference);

  const handle: FunctionHandle = {
    logicalId,
    name: alias ? ref(alias) : ref(logicalId),
    arn: alias ? ref(alias) : getAtt(logicalId, 'Arn'),
    role,
    attributes,
  };
  expandFunctionEvents(context, handle, p.Events);
  if (role) add(role.logicalId, role.toResource(defined({ PermissionsBoundary: p.PermissionsBoundary, Path: p.RolePath, Tags: properties.Tags })));
}

/**
 * `FunctionUrlConfig`: the URL `<Function>Url`, and with `AuthType: NONE` the permissions that let anyone call it
 * (a synchronous invocation). The URL and permissions target the alias when there is one.
 */
function functionUrl(add: (id: string, body: CfnResourceBody) => void, logicalId: string, config: Record<string, any>,
  alias: string | undefined): void {
  const target = alias ? ref(alias) : ref(logicalId);
  add(`${logicalId}Url`, {
    Type: 'AWS::Lambda::Url',
    Properties: defined({ AuthType: config.AuthType, Cors: config.Cors, InvokeMode: config.InvokeMode, TargetFunctionArn: target }),
  });
  if (config.AuthType !== 'NONE') return;
  add(`${logicalId}UrlPublicPermissions`, {
    Type: 'AWS::Lambda::Permission',
    Properties: { Action: 'lambda:InvokeFunctionUrl', FunctionName: target, Principal: '*', FunctionUrlAuthType: 'NONE' },
  });
  add(`${logicalId}URLInvokeAllowPublicAccess`, {
    Type: 'AWS::Lambda::Permission',
    Properties: { Action: 'lambda:InvokeFunction', FunctionName: target, Principal: '*', InvokedViaFunctionUrl: true },
  });
}

/**
 * `DeploymentPreference` (with `AutoPublishAlias`): CodeDeploy shifts the alias's traffic. The application and
 * service role SAM shares between functions, and the function's deployment group; no rule reads them.
 */
function deploymentPreference(context: ExpansionContext, add: (id: string, body: CfnResourceBody, from?: SamOrigin) => void,
  logicalId: string, preference: Record<string, any>): void {
  if (!context.resources.ServerlessDeploymentApplication) {
    add('ServerlessDeploymentApplication', { Type: 'AWS::CodeDeploy::Application', Properties: { ComputePlatform: 'Lambda' } });
  }
  if (preference.Role === undefined && !context.resources.CodeDeployServiceRole) {
    const role = new GeneratedRole('CodeDeployServiceRole', 'codedeploy.amazonaws.com');
    role.addManaged('arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda');
    add('CodeDeployServiceRole', role.toResource());
  }
  add(`${logicalId}DeploymentGroup`, {
    Type: 'AWS::CodeDeploy::DeploymentGroup',
    Properties: defined({
      ApplicationName: ref('ServerlessDeploymentApplication'),
      AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'] },
      DeploymentConfigName: { 'Fn::Sub': ['CodeDeployDefault.Lambda${ConfigName}', { ConfigName: preference.Type }] },
      DeploymentStyle: { DeploymentOption: 'WITH_TRAFFIC_CONTROL', DeploymentType: 'BLUE_GREEN' },
      ServiceRoleArn: preference.Role ?? getAtt('CodeDeployServiceRole', 'Arn'),
    }),
  });
}

/** The `EventInvokeConfig` with each destination resolved (and created, for a `SQS` or `SNS` type without one), and its grants. */
function destinationsOf(context: ExpansionContext, logicalId: string, config: Record<string, any>, role: GeneratedRole | undefined,
  add: (id: string, body: CfnResourceBody) => void): Record<string, unknown> {
  const destinations: Record<string, unknown> = {};
  const given = isObject(config.DestinationConfig) ? config.DestinationConfig : {};
  for (const kind of ['OnSuccess', 'OnFailure']) {
    const entry = given[kind];
    if (!isObject(entry)) continue;
    let destination = entry.Destination;
    const prefix = `${logicalId}EventInvokeConfig${kind}`;
    if (destination === undefined && entry.Type === 'SQS') {
      add(`${prefix}Queue`, { Type: 'AWS::SQS::Queue', Properties: {} });
      destination = getAtt(`${prefix}Queue`, 'Arn');
    } else if (destination === undefined && entry.Type === 'SNS') {
      add(`${prefix}Topic`, { Type: 'AWS::SNS::Topic', Properties: {} });
      destination = ref(`${prefix}Topic`);
    }
    const grant = typeof entry.Type === 'string' ? DESTINATION_GRANTS[entry.Type] : undefined;
    if (grant && role) role.addPolicy(`${prefix}${grant.name}Policy`, { Statement: grant.statements(destination) });
    if (!grant && entry.Type !== undefined) context.notes.push(`${logicalId}: EventInvokeConfig ${kind} has a Type SAM does not know (${JSON.stringify(entry.Type)}); no grant was added for it`);
    destinations[kind] = { Destination: destination };
  }
  return { ...config, DestinationConfig: destinations };
}

/** The function's code as SAM writes it. A local `CodeUri` is written as `s3://bucket/value`, as cfn-lint writes it before SAM reads it. */
function codeOf(p: Record<string, any>): Record<string, unknown> {
  if (p.InlineCode !== undefined) return { ZipFile: p.InlineCode };
  if (p.ImageUri !== undefined) return { ImageUri: p.ImageUri };
  const uri = p.CodeUri;
  if (typeof uri === 'string' && uri.startsWith('s3://')) {
    const match = /^s3:\/\/([^/]+)\/([^?]+)(?:\?versionId=(.+))?$/.exec(uri);
    if (match) return defined({ S3Bucket: match[1], S3Key: match[2], S3ObjectVersion: match[3] });
  }
  if (isObject(uri) && (uri.Bucket !== undefined || uri.Key !== undefined)) {
    return defined({ S3Bucket: uri.Bucket, S3Key: uri.Key, S3ObjectVersion: uri.Version });
  }
  return { S3Bucket: 'bucket', S3Key: 'value' };
}

/**
 * The hash in the version's logical ID, as SAM computes it: of `AutoPublishCodeSha256` when given; otherwise of
 * the code with the environment, memory size and SnapStart setting (all the function's properties with
 * `AutoPublishAliasAllProperties`).
 */
function versionHash(p: Record<string, any>, properties: Record<string, unknown>): string {
  if (typeof p.AutoPublishCodeSha256 === 'string') return p.AutoPublishCodeSha256.slice(0, 10);
  if (p.AutoPublishAliasAllProperties === true) return samHash(properties);
  const data: Record<string, unknown> = { ...properties.Code as Record<string, unknown> };
  if (isObject(p.Environment)) Object.assign(data, p.Environment);
  if (p.MemorySize !== undefined) data.MemorySize = p.MemorySize;
  if (isObject(p.SnapStart) && (p.SnapStart.ApplyOn ?? 'None') !== 'None') data.SnapStart = p.SnapStart;
  return samHash(data);
}
