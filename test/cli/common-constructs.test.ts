/**
 * The command line on a cloud assembly that holds one of each common
 * aws-cdk-lib L2 whose construct tree has shapes that plain stacks do not
 * (a REST API's `Resource` and `Default` children, nested defaults, custom
 * resources, assets), synthesized as the CDK CLI writes it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as appsync from 'aws-cdk-lib/aws-appsync';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { runCli } from './cli';
import { ResilienceChecks } from '../../src';
import { handlerProps } from '../helpers';

let outdir: string;

beforeAll(() => {
  // GIVEN an app with one of each, synthesized with construct path metadata as the CDK CLI writes it
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'common-constructs-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, 'Common', { env: { account: '111122223333', region: 'eu-west-1' } });
  const fn = new lambda.Function(stack, 'Fn', handlerProps);
  const rest = new apigateway.RestApi(stack, 'RestApi');
  rest.root.addMethod('GET', new apigateway.LambdaIntegration(fn));
  rest.root.addResource('orders').addMethod('POST', new apigateway.LambdaIntegration(fn));
  new apigwv2.HttpApi(stack, 'HttpApi', { defaultIntegration: new integrations.HttpLambdaIntegration('Orders', fn) });
  new sfn.StateMachine(stack, 'Workflow', {
    definitionBody: sfn.DefinitionBody.fromChainable(new tasks.LambdaInvoke(stack, 'Invoke', { lambdaFunction: fn })),
    timeout: Duration.minutes(5),
  });
  new cognito.UserPool(stack, 'Users').addClient('Web');
  new appsync.GraphqlApi(stack, 'Graph', {
    name: 'graph',
    definition: appsync.Definition.fromSchema(appsync.SchemaFile.fromAsset(writeSchema())),
  }).addLambdaDataSource('Orders', fn);
  new cloudfront.Distribution(stack, 'Cdn', { defaultBehavior: { origin: origins.S3BucketOrigin.withOriginAccessControl(new s3.Bucket(stack, 'Site')) } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const task = new ecs.FargateTaskDefinition(stack, 'Task');
  task.addContainer('App', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:latest'), memoryLimitMiB: 512 });
  new ecs.FargateService(stack, 'Service', { cluster, taskDefinition: task, assignPublicIp: true, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } });
  app.synth();
});

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

function writeSchema(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'schema-')), 'schema.graphql');
  fs.writeFileSync(file, 'type Order { id: ID! }\ntype Query { orders: [Order] }\n');
  return file;
}

const run = (...args: string[]) => runCli('check', ...args);

describe('cdk-resilience check on common aws-cdk-lib constructs', () => {
  test('the cloud assembly is read, every resource by its construct path', () => {
    // WHEN
    const { code, out, err } = run('--format', 'json', outdir);
    // THEN it checks the stack (no usage error), whatever it finds
    expect(err).toBe('');
    expect(code).not.toBe(2);
    const report = JSON.parse(out);
    expect(report.templates.map((t: any) => t.stack)).toEqual(['Common']);
    expect(report.templates[0].resources).toBeGreaterThan(50);
  });

  test('the template file is read the same way', () => {
    // WHEN
    const { code, err } = run(path.join(outdir, 'Common.template.json'));
    // THEN
    expect(err).toBe('');
    expect(code).not.toBe(2);
  });

  test('ResilienceChecks.checkTemplate reads it too', () => {
    // GIVEN
    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'Common.template.json'), 'utf8'));
    // WHEN / THEN
    expect(() => ResilienceChecks.checkTemplate(template)).not.toThrow();
  });
});
