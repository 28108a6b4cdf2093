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
import { AWS_DEFAULTS } from '../src/private/defaults';
import { formatDuration } from '../src/private/validation';

type Resource = { Type: string; Properties?: any; Metadata?: Record<string, any>; DeletionPolicy?: string };
type Template = { Resources?: Record<string, Resource> };

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
    lines.push(`  Retry budget (worst-case invocations per event; Resilience-RetryBudget1 reports a path above ${ResilienceChecks.DEFAULT_RETRY_BUDGET_THRESHOLD} or a loop)`,
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
  lines.push(...summarizeAsyncFunctions(resources));
  lines.push(...summarizeEventBuses(resources));
  lines.push(...summarizeCircuitTables(resources));
  lines.push(...summarizeIdempotencyTables(resources));
  lines.push(...summarizeAppConfig(resources));
  lines.push('');
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
    .map(r => {
      const p = r.Properties;
      const op = p.ComparisonOperator === 'GreaterThanOrEqualToThreshold' ? '≥' : p.ComparisonOperator;
      const threshold = p.MetricName === 'ApproximateAgeOfOldestMessage' ? seconds(p.Threshold) : p.Threshold;
      return `${p.MetricName} ${op} ${threshold}${p.AlarmActions?.length ? ' (notifies)' : ''}`;
    });
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
