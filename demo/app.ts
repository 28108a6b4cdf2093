import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { DemoStack } from './demo-stack';

/**
 * The demo app, with AWS's offline template validator failing synth on any
 * finding and the cdk-nag AwsSolutions and Serverless packs.
 */
export function buildDemoApp(app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } })): App {
  new DemoStack(app, 'CdkResilienceDemo');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return app;
}

if (require.main === module) {
  buildDemoApp().synth();
}
