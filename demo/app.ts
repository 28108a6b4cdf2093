import * as fs from 'fs';
import * as path from 'path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { DemoStack } from './demo-stack';
import { ResilienceChecks, RetryBudget } from '../src';

/** The file of the cloud assembly that holds the app's retry budget (a Markdown table). */
export const RETRY_BUDGET_FILE = 'retry-budget.md';

/**
 * The demo app, with the cdk-nag AwsSolutions and Serverless packs and the
 * library's own ResilienceChecks. Run by the CDK CLI, it takes its feature
 * flags from cdk.json: every flag `cdk init` sets, and AWS's offline template
 * validator failing synth on any finding.
 */
export function buildDemoApp(app = new App()): App {
  // The AppConfig Lambda extension layer is regional: the stack names its region (the account stays open).
  new DemoStack(app, 'CdkResilienceDemo', { env: { region: process.env.CDK_DEFAULT_REGION || 'eu-west-1' } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app), new ResilienceChecks(app));
  return app;
}

if (require.main === module) {
  const app = buildDemoApp();
  app.synth();
  // The retry budget reads the construct tree: it is written next to the templates, for the summary.
  fs.writeFileSync(path.join(app.outdir, RETRY_BUDGET_FILE), RetryBudget.analyze(app).toMarkdown());
}
