/**
 * Scale benchmark of the checks: `cdk-resilience check` on one template of
 * N resources, for N from 100 to 20,000, against the same 20,000 resources as
 * 40 templates of 500 in one run (the baseline: the same work, in pieces).
 * Linear is the goal: the CPU time per 1,000 resources should not grow with
 * the size of one template.
 *
 * Each run is the command as users run it (`node lib/cli/cdk-resilience.js
 * check --format json <files>`, the compiled library, which `npx projen
 * compile` builds from src/ first) in a fresh process: CPU time (user + system)
 * and peak RSS from /usr/bin/time (CPU time from the child's own report where
 * that is missing), median of the runs.
 *
 * The templates are legal CloudFormation that the generator writes, 11
 * resources per unit: a queue with a dead-letter queue and a queue policy, a
 * consumer function with its role, policy and event source mapping, a topic
 * that fans out to the queue, a rule that targets the topic with a dead-letter
 * queue, and a topic the function publishes to.
 *
 * Usage: npx ts-node --project tsconfig.dev.json bench/checks-scale.bench.ts
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compile } from './compile';
import { median, ratio } from './stats';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'lib', 'cli', 'cdk-resilience.js');
const TIME_BIN = '/usr/bin/time';
/** Timed runs per row (plus one untimed warm-up). */
const RUNS = 3;
const UNIT = 11;
/** Rows: resources per template × templates. The last is the baseline. */
const ROWS: ReadonlyArray<{ readonly resources: number; readonly templates: number }> = [
  { resources: 110, templates: 1 },
  { resources: 1_100, templates: 1 },
  { resources: 5_500, templates: 1 },
  { resources: 22_000, templates: 1 },
  { resources: 550, templates: 40 },
];

/** A template of `units` × 11 resources whose logical IDs start with `prefix`. */
function template(units: number, prefix: string): unknown {
  const resources: Record<string, unknown> = {};
  for (let i = 0; i < units; i++) {
    const p = `${prefix}${i}`;
    const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
    resources[`${p}Dlq`] = { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1_209_600 } };
    resources[`${p}Queue`] = { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 180, RedrivePolicy: { deadLetterTargetArn: arn(`${p}Dlq`), maxReceiveCount: 5 } } };
    resources[`${p}QueuePolicy`] = { Type: 'AWS::SQS::QueuePolicy', Properties: { Queues: [{ Ref: `${p}Queue` }], PolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: arn(`${p}Queue`) }] } } };
    resources[`${p}Role`] = { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } } };
    resources[`${p}Policy`] = {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: `${p}Policy`,
        Roles: [{ Ref: `${p}Role` }],
        PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'], Resource: arn(`${p}Queue`) }, { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: `${p}Out` } }] },
      },
    };
    resources[`${p}Function`] = { Type: 'AWS::Lambda::Function', Properties: { Role: arn(`${p}Role`), Runtime: 'nodejs22.x', Handler: 'index.handler', Timeout: 30, Code: { ZipFile: 'x' } } };
    resources[`${p}Mapping`] = { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: arn(`${p}Queue`), FunctionName: { Ref: `${p}Function` }, FunctionResponseTypes: ['ReportBatchItemFailures'] } };
    resources[`${p}Topic`] = { Type: 'AWS::SNS::Topic', Properties: {} };
    resources[`${p}Subscription`] = { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: `${p}Topic` }, Protocol: 'sqs', Endpoint: arn(`${p}Queue`), RedrivePolicy: { deadLetterTargetArn: arn(`${p}Dlq`) } } };
    resources[`${p}Rule`] = { Type: 'AWS::Events::Rule', Properties: { EventPattern: { source: [p] }, Targets: [{ Id: 't', Arn: { Ref: `${p}Topic` }, DeadLetterConfig: { Arn: arn(`${p}Dlq`) }, RetryPolicy: { MaximumRetryAttempts: 3 } }] } };
    resources[`${p}Out`] = { Type: 'AWS::SNS::Topic', Properties: {} };
  }
  return { AWSTemplateFormatVersion: '2010-09-09', Resources: resources };
}

interface Run {
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly maxRssMb: number;
}

/** One run of the command on `files`. */
function runOnce(files: readonly string[]): Run {
  const started = process.hrtime.bigint();
  const useTime = fs.existsSync(TIME_BIN);
  const node = [process.execPath, CLI, 'check', '--format', 'json', ...files];
  const [command, ...args] = useTime ? [TIME_BIN, '-f', 'SCALE_BENCH %U %S %M', ...node] : node;
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0 && result.status !== 1) throw new Error(`cdk-resilience check exited ${result.status}: ${result.stderr}`);
  const templates = JSON.parse(result.stdout).templates.length;
  if (templates !== files.length) throw new Error(`checked ${templates} template(s) of ${files.length}`);
  const timed = /SCALE_BENCH ([\d.]+) ([\d.]+) (\d+)/.exec(result.stderr);
  if (!timed) return { cpuSeconds: wallSeconds, wallSeconds, maxRssMb: NaN };
  return { cpuSeconds: Number(timed[1]) + Number(timed[2]), wallSeconds, maxRssMb: Number(timed[3]) / 1024 };
}

function main(): void {
  compile();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checks-scale-'));
  try {
    const measured = ROWS.map(row => {
      const files = Array.from({ length: row.templates }, (_, t) => {
        const file = path.join(dir, `t${row.resources}-${row.templates}-${t}.json`);
        fs.writeFileSync(file, JSON.stringify(template(row.resources / UNIT, `T${t}U`)));
        return file;
      });
      runOnce(files); // warm-up: the file system cache, and Node's compile cache
      const runs = Array.from({ length: RUNS }, () => runOnce(files));
      return {
        ...row,
        cpu: median(runs.map(r => r.cpuSeconds)),
        wall: median(runs.map(r => r.wallSeconds)),
        rss: median(runs.map(r => r.maxRssMb)),
      };
    });
    const baseline = measured[measured.length - 1];
    const perThousand = (m: typeof baseline) => m.cpu / (m.resources * m.templates / 1000);
    const smallest = measured[0];
    console.log(`\nChecks at scale: cdk-resilience check --format json (${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node.js ${process.version}, ${new Date().toISOString().slice(0, 10)})`);
    console.log('| resources per template × templates | CPU s | wall s | peak RSS MB | CPU s per 1,000 resources | per 1,000 vs the smallest | CPU vs 40 × 550 |');
    console.log('|---|---|---|---|---|---|---|');
    for (const m of measured) {
      console.log(`| ${m.resources.toLocaleString('en-US')} × ${m.templates} | ${m.cpu.toFixed(2)} | ${m.wall.toFixed(2)} | ${m.rss.toFixed(0)} | ${perThousand(m).toFixed(3)} | ${ratio(perThousand(m), perThousand(smallest))} | ${ratio(m.cpu, baseline.cpu)} |`);
    }
    const largest = measured[measured.length - 2];
    console.log(`\nOne template of ${largest.resources.toLocaleString('en-US')} resources against the same resources as ${baseline.templates} templates of ${baseline.resources}: ${ratio(largest.cpu, baseline.cpu)} the CPU time (goal: at most 1.5×), ${ratio(largest.rss, baseline.rss)} the peak memory.`);
    console.log(`Median of ${RUNS} runs after a warm-up; each run is a fresh process, its start-up (loading aws-cdk-lib and cdk-nag) included.`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
