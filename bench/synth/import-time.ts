/**
 * Import time, in a fresh process:
 * `node import-time.js [--after-floor] [--new <export>] <module>...`
 * requires aws-cdk-lib (and, with `--after-floor`, loads what the floor app
 * loads of it), then each module (absolute paths: what an app imports beyond
 * aws-cdk-lib), then, with `--new`, constructs `new <export>()` of the last
 * module (what an app that uses it pays for its lazy requires). Prints one
 * JSON line with the timings.
 *
 * aws-cdk-lib loads a submodule's code when one of its exports is first read,
 * not when it is required: an app that reads them at construct time (the
 * floor) pays for them there, a library that reads them as it loads (a class
 * that extends one) pays for them at import. `--after-floor` times the
 * modules beyond the aws-cdk-lib code that every app of the benchmark loads.
 */

/** What the child prints on its last stdout line. */
export interface ImportReport {
  /** `require('aws-cdk-lib')`, the first require of the process (and, `--after-floor`, the floor's aws-cdk-lib code). */
  readonly cdkLibMs: number;
  /** The modules after aws-cdk-lib, and the `--new` construction if asked. */
  readonly importMs: number;
}

/** Reads one export of each aws-cdk-lib module that floor.app.ts and harness.ts use, which loads that module's code. */
function loadFloorCdkLib(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const cdk = require('aws-cdk-lib');
  return void [
    cdk.App, cdk.Stack, cdk.Duration,
    require('aws-cdk-lib/aws-cloudwatch').Alarm,
    require('aws-cdk-lib/aws-lambda').Function,
    require('aws-cdk-lib/aws-lambda-event-sources').SqsEventSource,
    require('aws-cdk-lib/aws-sqs').Queue,
    require('constructs').Construct,
  ];
  /* eslint-enable @typescript-eslint/no-require-imports */
}

const args = process.argv.slice(2);
const afterFloor = args[0] === '--after-floor';
const rest = afterFloor ? args.slice(1) : args;
const construct = rest[0] === '--new' ? rest[1] : undefined;
const modules = construct ? rest.slice(2) : rest;
if (modules.length === 0 || modules.some(m => !m.startsWith('/'))) {
  throw new Error(`usage: node import-time.js [--after-floor] [--new <export>] <absolute module path>..., got ${args.join(' ')}`);
}

const start = performance.now();
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('aws-cdk-lib');
if (afterFloor) {
  loadFloorCdkLib();
}
const cdkLoaded = performance.now();
let last: any;
for (const file of modules) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  last = require(file);
}
if (construct) {
  new last[construct]();
}
const imported = performance.now();
const report: ImportReport = { cdkLibMs: cdkLoaded - start, importMs: imported - cdkLoaded };
process.stdout.write(`${JSON.stringify(report)}\n`);
