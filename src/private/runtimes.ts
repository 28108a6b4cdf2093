import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The newest Node.js runtime that the app's aws-cdk-lib knows (`nodejs24.x`
 * on 2.269, `nodejs26.x` on 2.278), for the functions the library deploys: the
 * one cdk-nag's `AwsSolutions-L1` asks for, whichever aws-cdk-lib the app has.
 * Read from `lambda.Runtime.ALL`, as that rule reads it;
 * `lambda.determineLatestNodeRuntime()` follows a regional fact that lags
 * behind the runtimes aws-cdk-lib knows.
 */
export function newestNodeRuntime(): lambda.Runtime {
  let newest: { runtime: lambda.Runtime; major: number } | undefined;
  for (const runtime of lambda.Runtime.ALL) {
    const major = /^nodejs(\d+)\.x$/.exec(runtime.name)?.[1];
    if (runtime.family !== lambda.RuntimeFamily.NODEJS || runtime.isVariable || major === undefined) continue;
    if (!newest || Number(major) > newest.major) newest = { runtime, major: Number(major) };
  }
  return newest?.runtime ?? lambda.Runtime.NODEJS_24_X;
}
