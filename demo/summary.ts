/**
 * Prints what a synthesized cloud assembly contains and which resilience
 * settings it applies, read from the templates themselves (so it reports
 * what would deploy, not what the code meant to do).
 *
 * Usage: ts-node demo/summary.ts <cdk.out>
 */
import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import { RETRY_BUDGET_FILE } from './app';
import { CircuitBreakerTable, IdempotencyTable, ResilienceChecks } from '../src';
// The library's own knowledge of AWS's defaults and its duration format, so the summary reads templates as the checks do.
import { AWS_DEFAULTS, DEFAULTS } from '../src/private/defaults';
import { formatDuration } from '../src/private/validation';

type Resource = { Type: string; Properties?: any; Metadata?: Record<string, any>; DeletionPolicy?: string };
type Template = { Resources?: Record<string, Resource>; Outputs?: Record<string, { Value: any; Description?: string }> };

/** Returns the summary of every stack in the cloud assembly at `outdir`. */
export function summarize(outdir: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
  const lines: string[] = [];
  for (const [artifactId, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const template: Template = JSON.parse(fs.readFileSync(path.join(outdir, artifact.properties.templateFile), 'utf8'));
    lines.push(...summarizeStack(artifact.displayName ?? artifactId, template));
  }
  const retryBudget = path.join(outdir, RETRY_BUDGET_FILE);
  if (fs.existsSync(retryBudget)) {
    lines.push(`  Retry budget (worst-case invocations per event; Resilience-RetryBudget1 reports a path above ${ResilienceChecks.DEFAULT_RETRY_BUDGET_THRESHOLD} or a certain loop)`,
      '', fs.readFileSync(retryBudget, 'utf8'));
  }
  return lines.join('\n');
}

function summarizeStack(name: string, template: Template): string[] {
  const resources = template.Resources ?? {};
  const byType = new Map<string, number>();
  for (const r of Object.values(resources)) byType.set(r.Type, (byType.get(r.Type) ?? 0) + 1);
  const lines = [
    `Stack ${name}: ${Object.keys(resources).length} resources`,
    ...[...byType.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => `  ${String(n).padStart(3)} × ${type}`),
    '',
  ];

  const mappings = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping'
    && resources[refOf(r.Properties?.EventSourceArn) ?? '']?.Type === 'AWS::SQS::Queue');
  if (mappings.length > 0) {
    lines.push('  Queue-decoupled functions (SQS → Lambda → dead-letter queue)');
  }
  for (const [, mapping] of mappings) {
    const queueId = refOf(mapping.Properties.EventSourceArn)!;
    const queue = resources[queueId].Properties ?? {};
    const functionId = refOf(mapping.Properties.FunctionName);
    const fn = functionId ? resources[functionId]?.Properties : undefined;
    const dlqId = refOf(queue.RedrivePolicy?.deadLetterTargetArn);
    const dlq = dlqId ? resources[dlqId]?.Properties : undefined;
    const timeout = fn ? fn.Timeout ?? AWS_DEFAULTS.functionTimeoutSeconds : undefined;
    const visibility = queue.VisibilityTimeout ?? AWS_DEFAULTS.queueVisibilityTimeoutSeconds;
    lines.push(`  • ${parentPath(mapping)}${queue.FifoQueue ? ' (FIFO)' : ''}`);
    lines.push(`      visibility timeout ${visibility} s${timeout ? ` (${(visibility / timeout).toFixed(1)} × function timeout ${timeout} s)` : ''}, retention ${seconds(queue.MessageRetentionPeriod ?? AWS_DEFAULTS.queueRetentionSeconds)}`);
    lines.push(`      batch size ${mapping.Properties.BatchSize ?? AWS_DEFAULTS.sqsBatchSize}${mapping.Properties.MaximumBatchingWindowInSeconds ? `, batching window ${mapping.Properties.MaximumBatchingWindowInSeconds} s` : ''}`
      + `${mapping.Properties.ScalingConfig?.MaximumConcurrency ? `, max concurrency ${mapping.Properties.ScalingConfig.MaximumConcurrency}` : ''}`
      + `, partial batch responses ${(mapping.Properties.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures') ? 'on' : 'OFF'}`);
    lines.push(dlq
      ? `      dead-letter queue ${pathOf(resources[dlqId!])} after ${queue.RedrivePolicy.maxReceiveCount} receives, retention ${seconds(dlq.MessageRetentionPeriod ?? AWS_DEFAULTS.queueRetentionSeconds)}, redrive allowed ${redriveAllowed(dlq)}`
      : '      NO dead-letter queue: failing messages are retried until they expire');
    const watched = [queueId, dlqId, functionId].filter((x): x is string => x !== undefined);
    lines.push(`      alarms: ${alarmsOn(resources, watched).join('; ') || 'NONE'}`);
  }

  // Dead-letter queues of queues that no function consumes.
  const consumedQueues = new Set(mappings.map(([, m]) => refOf(m.Properties.EventSourceArn)));
  const standalone = new Set(Object.entries(resources)
    .filter(([id, r]) => r.Type === 'AWS::SQS::Queue' && !consumedQueues.has(id))
    .map(([, r]) => refOf(r.Properties?.RedrivePolicy?.deadLetterTargetArn))
    .filter((id): id is string => id !== undefined));
  for (const id of standalone) {
    lines.push(`  • dead-letter queue ${pathOf(resources[id])}: retention ${seconds(resources[id].Properties?.MessageRetentionPeriod ?? AWS_DEFAULTS.queueRetentionSeconds)}, alarms: ${alarmsOn(resources, [id]).join('; ') || 'NONE'}`);
  }
  lines.push(...summarizeQueueBackedApis(resources, template.Outputs ?? {}));
  lines.push(...summarizeStreamConsumers(resources));
  lines.push(...summarizeAsyncFunctions(resources));
  lines.push(...summarizeEventBuses(resources));
  lines.push(...summarizeTopics(resources));
  lines.push(...summarizeCircuitTables(resources));
  lines.push(...summarizeIdempotencyTables(resources));
  lines.push(...summarizeAppConfig(resources));
  lines.push(...summarizeExperiments(resources));
  lines.push('');
  return lines;
}

/** REST API methods that send to an SQS queue (an AWS service integration, `sqs:path/<account>/<queue>`). */
function summarizeQueueBackedApis(resources: Record<string, Resource>, outputs: NonNullable<Template['Outputs']>): string[] {
  const methods = Object.values(resources).filter(r => r.Type === 'AWS::ApiGateway::Method' && r.Properties?.Integration?.Type === 'AWS'
    && JSON.stringify(r.Properties.Integration.Uri ?? '').includes(':sqs:path/'));
  if (methods.length === 0) return [];
  const lines = ['', '  Queue-backed APIs (API Gateway → SQS queue, 202 with the message id; the consumer works later)'];
  for (const method of methods) {
    const p = method.Properties;
    const apiId = refOf(p.RestApiId)!;
    const queueId = (p.Integration.Uri['Fn::Join']?.[1] ?? []).map(refOf).find((id: string | undefined) => resources[id ?? '']?.Type === 'AWS::SQS::Queue');
    const roleId = refOf(p.Integration.Credentials);
    const actions = Object.values(resources)
      .filter(r => r.Type === 'AWS::IAM::Policy' && (r.Properties?.Roles ?? []).some((role: any) => refOf(role) === roleId))
      .flatMap(r => r.Properties.PolicyDocument.Statement.map((st: any) => `${[st.Action].flat().join(', ')} on ${[st.Resource].flat().map(x => pathOf(resources[refOf(x) ?? ''])).join(', ')}`));
    const stage = Object.entries(resources).find(([, r]) => r.Type === 'AWS::ApiGateway::Stage' && refOf(r.Properties?.RestApiId) === apiId);
    const settings = stage?.[1].Properties.MethodSettings?.find((m: any) => m.ResourcePath === '/*' && m.HttpMethod === '*') ?? {};
    const logGroup = resources[refOf(stage?.[1].Properties.AccessLogSetting?.DestinationArn) ?? ''];
    const model = resources[refOf(p.RequestModels?.['application/json']) ?? ''];
    const validator = resources[refOf(p.RequestValidatorId) ?? '']?.Properties;
    const statuses = (p.MethodResponses ?? []).map((r: any) => r.StatusCode).join(', ');
    const url = Object.entries(outputs).find(([, o]) => refOf(o.Value?.['Fn::Join']?.[1]?.[1]) === apiId);
    lines.push(`  • ${pathOf(resources[apiId]).replace(/\/RestApi$/, '')}: ${p.HttpMethod} ${resourcePath(resources, p.ResourceId)} (${p.AuthorizationType}) → ${queueId ? pathOf(resources[queueId]) : 'NO queue'}`);
    lines.push(`      URL: output ${url ? `${url[0]} = ${renderedUrl(resources, url[1].Value)}` : 'NONE'}`);
    lines.push(`      body ${validator?.ValidateRequestBody && model ? `validated by a JSON Schema${model.Properties.Schema.required ? ` (requires ${model.Properties.Schema.required.join(', ')})` : ''}` : 'NOT VALIDATED'}; answers ${statuses}`);
    lines.push(`      integration role: ${actions.join('; ') || 'NOTHING'}`);
    lines.push(`      stage ${stage?.[1].Properties.StageName}: ${settings.ThrottlingRateLimit ?? 'UNBOUNDED'} requests/s, burst ${settings.ThrottlingBurstLimit ?? 'UNBOUNDED'}, `
      + `access logs ${logGroup ? `→ ${pathOf(logGroup)} (${logGroup.Properties?.RetentionInDays ?? 'forever'} days)` : 'OFF'}`);
    lines.push(`      alarms: ${alarmsOn(resources, stage ? [stage[0]] : []).join('; ') || 'NONE'}`);
  }
  return lines;
}

/** The path of an API Gateway resource: `/` for the root, its parents' path parts otherwise. */
function resourcePath(resources: Record<string, Resource>, resourceId: any): string {
  if (resourceId?.['Fn::GetAtt']?.[1] === 'RootResourceId') return '/';
  const resource = resources[refOf(resourceId) ?? ''];
  if (!resource) return '?';
  const parent = resourcePath(resources, resource.Properties.ParentId);
  return `${parent === '/' ? '' : parent}/${resource.Properties.PathPart}`;
}

/** A URL output: references to resources as their paths, pseudo parameters as `<AWS::Region>`. */
function renderedUrl(resources: Record<string, Resource>, value: any): string {
  const parts: any[] = value?.['Fn::Join']?.[1] ?? [value];
  return parts.map(part => {
    const id = refOf(part);
    if (id?.startsWith('AWS::')) return `<${id}>`;
    if (id && resources[id]?.Type === 'AWS::ApiGateway::Stage') return resources[id].Properties.StageName;
    return id ? `<id of ${pathOf(resources[id])}>` : rendered(resources, part);
  }).join('');
}

/** The resource types whose stream an event source mapping reads: a Kinesis stream, a DynamoDB table's stream. */
const STREAM_SOURCES: Record<string, string> = {
  'AWS::Kinesis::Stream': 'Kinesis stream',
  'AWS::DynamoDB::Table': 'DynamoDB stream of',
  'AWS::DynamoDB::GlobalTable': 'DynamoDB stream of',
};

function summarizeStreamConsumers(resources: Record<string, Resource>): string[] {
  const mappings = Object.values(resources).filter(r => r.Type === 'AWS::Lambda::EventSourceMapping'
    && STREAM_SOURCES[resources[refOf(r.Properties?.EventSourceArn) ?? '']?.Type] !== undefined);
  if (mappings.length === 0) return [];
  const lines = ['', '  Stream consumers (stream → Lambda, bisect and bounded retries → on-failure queue)'];
  for (const mapping of mappings) {
    const p = mapping.Properties;
    const sourceId = refOf(p.EventSourceArn)!;
    const source = resources[sourceId];
    const functionId = refOf(p.FunctionName);
    const onFailure = refOf(p.DestinationConfig?.OnFailure?.Destination);
    // What AWS does when the mapping leaves it out: -1, retry (and keep) until the record expires.
    const unbounded = (value: number | undefined) => value === undefined || value === -1;
    const retention = source.Type === 'AWS::Kinesis::Stream'
      ? (source.Properties?.RetentionPeriodHours ?? AWS_DEFAULTS.kinesisRetentionHours) * 3600
      : AWS_DEFAULTS.dynamoDbStreamRetentionSeconds;
    lines.push(`  • ${functionId ? pathOf(resources[functionId]) : parentPath(mapping)} ← ${STREAM_SOURCES[source.Type]} ${pathOf(source)}, retention ${seconds(retention)}`);
    lines.push(`      batch size ${p.BatchSize ?? DEFAULTS.streamBatchSize} from ${p.StartingPosition}`
      + `${p.ParallelizationFactor ? `, ${p.ParallelizationFactor} batches per shard` : ''}`
      + `, ${unbounded(p.MaximumRetryAttempts) ? 'UNBOUNDED retries' : `${p.MaximumRetryAttempts} retries`}`
      + `, records kept ${unbounded(p.MaximumRecordAgeInSeconds) ? 'UNTIL THEY EXPIRE' : seconds(p.MaximumRecordAgeInSeconds)}`
      + `, bisect ${p.BisectBatchOnFunctionError ? 'on' : 'OFF'}`
      + `, partial batch responses ${(p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures') ? 'on' : 'OFF'}`);
    lines.push(`      on failure → ${onFailure ? pathOf(resources[onFailure]) : 'NOTHING: records given up on are lost'}`);
    const watched = [functionId, onFailure].filter((x): x is string => x !== undefined);
    lines.push(`      alarms: ${alarmsOn(resources, watched).join('; ') || 'NONE'}`);
  }
  return lines;
}

function summarizeAsyncFunctions(resources: Record<string, Resource>): string[] {
  const configs = Object.values(resources).filter(r => r.Type === 'AWS::Lambda::EventInvokeConfig');
  if (configs.length === 0) return [];
  const lines = ['', '  Asynchronous functions (retries → on-failure destination)'];
  for (const config of configs) {
    const p = config.Properties;
    const functionId = refOf(p.FunctionName);
    const onFailure = refOf(p.DestinationConfig?.OnFailure?.Destination);
    const onSuccess = refOf(p.DestinationConfig?.OnSuccess?.Destination);
    lines.push(`  • ${parentPath(config)}`);
    lines.push(`      ${p.MaximumRetryAttempts ?? AWS_DEFAULTS.asyncRetryAttempts} retries, events kept ${seconds(p.MaximumEventAgeInSeconds ?? AWS_DEFAULTS.asyncMaxEventAgeSeconds)}`
      + `, on failure → ${onFailure ? pathOf(resources[onFailure]) : 'NOTHING: failed events are lost'}`
      + `${onSuccess ? `, on success → ${pathOf(resources[onSuccess])}` : ''}`);
    const watched = [functionId, onFailure].filter((x): x is string => x !== undefined);
    lines.push(`      alarms: ${alarmsOn(resources, watched).join('; ') || 'NONE'}`);
  }
  return lines;
}

function summarizeEventBuses(resources: Record<string, Resource>): string[] {
  const buses = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Events::EventBus');
  if (buses.length === 0) return [];
  const lines = ['', '  Event buses (archive, rules with dead-letter queues and retries)'];
  for (const [busId, bus] of buses) {
    const name = bus.Properties?.Name;
    const archive = Object.values(resources).find(r => r.Type === 'AWS::Events::Archive' && JSON.stringify(r.Properties?.SourceArn ?? '').includes(`event-bus/${name}`));
    const dlq = refOf(bus.Properties?.DeadLetterConfig?.Arn);
    lines.push(`  • ${pathOf(bus)} (${name})`);
    lines.push(`      archive: ${archive ? `${archive.Properties.RetentionDays === 0 ? 'kept forever' : `${archive.Properties.RetentionDays ?? 0} days`}, ${archive.Properties.EventPattern ? 'matching events' : 'every event'}` : 'NONE: events cannot be replayed'}`
      + `${dlq ? `; undeliverable events → ${pathOf(resources[dlq])}` : ''}`);
    const rules = Object.values(resources).filter(r => r.Type === 'AWS::Events::Rule' && refOf(r.Properties?.EventBusName) === busId);
    for (const rule of rules) {
      const replays = rule.Properties.EventPattern?.['replay-name'] ? 'refuses replayed events' : 'accepts replayed events';
      lines.push(`      rule ${pathOf(rule).split('/').pop()}: ${replays}`);
      for (const target of rule.Properties.Targets ?? []) {
        const targetId = refOf(target.Arn);
        const targetDlq = refOf(target.DeadLetterConfig?.Arn);
        const retry = target.RetryPolicy;
        lines.push(`        → ${targetId ? pathOf(resources[targetId]) : target.Id}: `
          + `${retry ? `${retry.MaximumRetryAttempts} retries over ${seconds(retry.MaximumEventAgeInSeconds)}` : `default retries (${AWS_DEFAULTS.targetRetryAttempts} over ${seconds(AWS_DEFAULTS.targetMaxEventAgeSeconds)})`}`
          + `, dead-letter queue ${targetDlq ? pathOf(resources[targetDlq]) : 'NONE: events that exhaust their retries are lost'}`);
      }
    }
    lines.push(`      alarms: ${[...alarmsOn(resources, dlq ? [dlq] : []), ...ruleAlarms(resources, name)].join('; ') || 'NONE'}`);
  }
  return lines;
}

function summarizeTopics(resources: Record<string, Resource>): string[] {
  const subscriptions = Object.values(resources).filter(r => r.Type === 'AWS::SNS::Subscription');
  const topics = Object.entries(resources).filter(([id, r]) => r.Type === 'AWS::SNS::Topic'
    && subscriptions.some(s => refOf(s.Properties?.TopicArn) === id));
  if (topics.length === 0) return [];
  const lines = ['', '  Topics (subscriptions with dead-letter queues)'];
  for (const [topicId, topic] of topics) {
    const p = topic.Properties ?? {};
    const keyId = refOf(p.KmsMasterKeyId);
    const key = keyId ? pathOf(resources[keyId]) : p.KmsMasterKeyId ?? 'no key';
    lines.push(`  • ${parentPath(topic)} (${p.FifoTopic ? 'FIFO' : 'standard'}${p.ContentBasedDeduplication ? ', content-based deduplication' : ''}, encrypted with ${key})`);
    const dlqs = new Set<string>();
    for (const subscription of subscriptions.filter(s => refOf(s.Properties?.TopicArn) === topicId)) {
      const s = subscription.Properties;
      const endpointId = refOf(s.Endpoint);
      const dlqId = refOf(s.RedrivePolicy?.deadLetterTargetArn);
      if (dlqId) dlqs.add(dlqId);
      lines.push(`      → ${endpointId ? pathOf(resources[endpointId]) : s.Endpoint} (${s.Protocol}${s.RawMessageDelivery ? ', raw delivery' : ''}${s.FilterPolicy ? ', filtered' : ''}), `
        + (dlqId ? `undeliverable messages → ${pathOf(resources[dlqId])}` : 'NO dead-letter queue: undeliverable messages are dropped'));
    }
    lines.push(`      alarms: ${alarmsOn(resources, [topicId, ...dlqs]).join('; ') || 'NONE'}`);
  }
  return lines;
}

function summarizeCircuitTables(resources: Record<string, Resource>): string[] {
  const tables = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::GlobalTable'
    && r.Properties?.TimeToLiveSpecification?.AttributeName === CircuitBreakerTable.TTL_ATTRIBUTE);
  if (tables.length === 0) return [];
  const lines = ['', '  Circuit breaker tables (shared circuit state)'];
  for (const [tableId, table] of tables) {
    const users = Object.values(resources)
      .filter(r => r.Type === 'AWS::Lambda::Function' && refOf(r.Properties?.Environment?.Variables?.[CircuitBreakerTable.TABLE_ENV]) === tableId)
      .map(pathOf);
    const alarms = Object.values(resources)
      .filter(r => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.Namespace === CircuitBreakerTable.METRICS_NAMESPACE
        && r.Properties?.MetricName === CircuitBreakerTable.CIRCUIT_OPENED_METRIC
        && (r.Properties.Dimensions ?? []).some((d: any) => d.Name === CircuitBreakerTable.TABLE_NAME_DIMENSION && refOf(d.Value) === tableId))
      .map(r => `${CircuitBreakerTable.CIRCUIT_OPENED_METRIC} ≥ ${r.Properties.Threshold}${r.Properties.AlarmActions?.length ? ' (notifies)' : ''}`);
    lines.push(`  • ${pathOf(table)}: ${table.Properties.BillingMode === 'PAY_PER_REQUEST' ? 'on-demand' : 'provisioned'}, `
      + `abandoned circuits expire (TTL on ${CircuitBreakerTable.TTL_ATTRIBUTE}), removal ${table.DeletionPolicy ?? 'Delete'}`);
    lines.push(`      used by: ${users.join(', ') || 'no function'}`);
    lines.push(`      alarms: ${alarms.join('; ') || 'NONE'}`);
  }
  return lines;
}

function summarizeIdempotencyTables(resources: Record<string, Resource>): string[] {
  const tables = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::GlobalTable'
    && r.Properties?.TimeToLiveSpecification?.AttributeName === IdempotencyTable.TTL_ATTRIBUTE);
  if (tables.length === 0) return [];
  const lines = ['', '  Idempotency tables (Powertools idempotency records)'];
  for (const [tableId, table] of tables) {
    const users = Object.values(resources)
      .filter(r => r.Type === 'AWS::Lambda::Function' && refOf(r.Properties?.Environment?.Variables?.[IdempotencyTable.TABLE_ENV]) === tableId)
      .map(pathOf);
    const key = (table.Properties.KeySchema ?? []).map((k: any) => k.AttributeName).join(', ');
    lines.push(`  • ${pathOf(table)}: ${table.Properties.BillingMode === 'PAY_PER_REQUEST' ? 'on-demand' : 'provisioned'}, key ${key}, `
      + `records expire (TTL on ${table.Properties.TimeToLiveSpecification.AttributeName}), removal ${table.DeletionPolicy ?? 'Delete'}`);
    lines.push(`      used by: ${users.join(', ') || 'no function'}`);
  }
  return lines;
}

function summarizeAppConfig(resources: Record<string, Resource>): string[] {
  const profiles = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::AppConfig::ConfigurationProfile');
  if (profiles.length === 0) return [];
  const lines = ['', '  AppConfig profiles (validated, gradual, alarm-guarded)'];
  for (const [profileId, profile] of profiles) {
    const p = profile.Properties;
    const deployment = Object.values(resources).find(r => r.Type === 'AWS::AppConfig::Deployment' && refOf(r.Properties?.ConfigurationProfileId) === profileId);
    const environment = deployment ? resources[refOf(deployment.Properties.EnvironmentId) ?? ''] : undefined;
    const monitors = environment?.Properties?.Monitors?.length ?? 0;
    const readers = Object.values(resources)
      .filter(r => r.Type === 'AWS::Lambda::Function'
        && Object.values(r.Properties?.Environment?.Variables ?? {}).some(v => typeof v === 'string' && v.endsWith(`/configurations/${p.Name}`)
          && v.includes(`/environments/${environment?.Properties?.Name}/`)))
      .map(pathOf);
    const kind = p.Type === 'AWS.AppConfig.FeatureFlags' ? 'feature flags' : 'free-form';
    lines.push(`  • ${parentPath(profile).replace(/\/Configuration$/, '')} (${kind}, environment ${environment?.Properties?.Name ?? '?'})`);
    lines.push(`      ${(p.Validators ?? []).length > 0 ? 'validated by a JSON Schema' : 'no validator'}, rollout ${deployment?.Properties?.DeploymentStrategyId ?? 'NONE'}`
      + `, rolled back by ${monitors} alarm(s)`);
    lines.push(`      read by: ${readers.join(', ') || 'no function'}`);
  }
  return lines;
}

function summarizeExperiments(resources: Record<string, Resource>): string[] {
  const templates = Object.values(resources).filter(r => r.Type === 'AWS::FIS::ExperimentTemplate');
  if (templates.length === 0) return [];
  const lines = ['', '  FIS experiments (fault, targets, stop conditions)'];
  for (const template of templates) {
    const p = template.Properties;
    for (const action of Object.values<any>(p.Actions ?? {})) {
      const { duration, invocationPercentage, ...parameters } = action.Parameters ?? {};
      const others = Object.entries(parameters).map(([k, v]) => `${k} ${v}`).join(', ');
      lines.push(`  • ${pathOf(template)}: ${action.ActionId}${others ? ` (${others})` : ''}, `
        + `${invocationPercentage ?? 100}% of invocations for ${duration ? formatDuration(Duration.parse(duration)) : '?'}`);
      for (const targetName of Object.values<string>(action.Targets ?? {})) {
        const target = p.Targets?.[targetName];
        const functions = (target?.ResourceArns ?? []).map((arn: unknown) => {
          const fn = resources[refOf(arn) ?? ''];
          const location = fn?.Properties?.Environment?.Variables?.AWS_FIS_CONFIGURATION_LOCATION;
          const wired = location !== undefined && (fn?.Properties?.Layers ?? []).length > 0;
          return `${pathOf(fn)} (${wired ? `extension layer, configuration ${rendered(resources, location)}` : 'NOT WIRED for FIS'})`;
        });
        lines.push(`      targets (${target?.ResourceType}): ${functions.join(', ') || 'NONE'}`);
      }
    }
    const stops = (p.StopConditions ?? []).filter((c: any) => c.Source !== 'none')
      .map((c: any) => resources[refOf(c.Value) ?? ''])
      .map((alarm: Resource | undefined) => alarm ? `${describeAlarm(alarm)} on ${alarmSubject(resources, alarm)}` : 'an alarm of another stack');
    lines.push(`      stop conditions: ${stops.join('; ') || 'NONE: nothing stops it'}`);
  }
  return lines;
}

/** What an alarm watches: the path of the resource its first dimension refers to. */
function alarmSubject(resources: Record<string, Resource>, alarm: Resource): string {
  const id = (alarm.Properties?.Dimensions ?? []).map((d: any) => refOf(d.Value)).find((x: string | undefined) => x !== undefined);
  return id ? pathOf(resources[id]) : '?';
}

/** A value of the template as text: a join of literals and references, with each reference as the path of its resource. */
function rendered(resources: Record<string, Resource>, value: any): string {
  if (typeof value === 'string') return value;
  const id = refOf(value);
  if (id) return pathOf(resources[id]);
  if (value?.['Fn::Join']) return value['Fn::Join'][1].map((part: any) => rendered(resources, part)).join(value['Fn::Join'][0]);
  return JSON.stringify(value);
}

/** Alarms on the rules of the bus named `busName`. */
function ruleAlarms(resources: Record<string, Resource>, busName: string): string[] {
  return Object.values(resources)
    .filter(r => r.Type === 'AWS::CloudWatch::Alarm' && (r.Properties?.Dimensions ?? []).some((d: any) => d.Name === 'EventBusName' && d.Value === busName))
    .map(r => `${r.Properties.MetricName} ≥ ${r.Properties.Threshold} on ${pathOf(r).split('/').slice(-2, -1)[0]}${r.Properties.AlarmActions?.length ? ' (notifies)' : ''}`);
}

/** The alarms whose metric dimensions name one of `ids`, as "metric ≥ threshold". */
function alarmsOn(resources: Record<string, Resource>, ids: string[]): string[] {
  return Object.values(resources)
    .filter(r => r.Type === 'AWS::CloudWatch::Alarm')
    .filter(r => (r.Properties?.Dimensions ?? []).some((d: any) => ids.includes(refOf(d.Value) ?? '')))
    .map(describeAlarm);
}

/** An alarm as "metric ≥ threshold". */
function describeAlarm(r: Resource): string {
  const p = r.Properties;
  const op = p.ComparisonOperator === 'GreaterThanOrEqualToThreshold' ? '≥' : p.ComparisonOperator;
  const threshold = p.MetricName === 'ApproximateAgeOfOldestMessage' ? seconds(p.Threshold)
    : p.MetricName === 'IteratorAge' ? seconds(p.Threshold / 1000)
      : p.MetricName === 'IntegrationLatency' ? `${p.Threshold} ms (${p.ExtendedStatistic ?? p.Statistic})` : p.Threshold;
  return `${p.MetricName} ${op} ${threshold}${p.AlarmActions?.length ? ' (notifies)' : ''}`;
}

function redriveAllowed(dlq: any): string {
  const policy = dlq.RedriveAllowPolicy;
  if (!policy) return 'from any queue';
  if (policy.redrivePermission === 'byQueue') return `from ${policy.sourceQueueArns.length} named source(s)`;
  return policy.redrivePermission;
}

/** The logical id that `{ Ref }` or `{ Fn::GetAtt }` points to. */
function refOf(value: any): string | undefined {
  if (value?.Ref) return value.Ref;
  if (value?.['Fn::GetAtt']) return value['Fn::GetAtt'][0];
  return undefined;
}

function pathOf(r: Resource | undefined): string {
  return (r?.Metadata?.['aws:cdk:path'] ?? '?').replace(/(\/Resource)+$/, '');
}

function parentPath(r: Resource): string {
  return pathOf(r).split('/').slice(0, -1).join('/');
}

function seconds(s: number): string {
  return formatDuration(Duration.seconds(s));
}

if (require.main === module) {
  const outdir = process.argv[2] ?? 'cdk.out';
  console.log(summarize(outdir));
}
