/**
 * Failure injection benchmark: the cost of the wrapper when no failure is
 * injected, which is what every invocation of a function with chaos wiring
 * pays between experiments. Our runtime `injectFailure` against the published
 * anchor `failure-lambda@0.4.4`, on the same local stand-in of the AppConfig
 * Lambda extension (a real HTTP server on 127.0.0.1 serving the extension's
 * route), 2,000 sequential invocations each, interleaved with the bare handler.
 *
 * - ours reads the `FailureInjection` feature-flag document, every flag disabled;
 * - the anchor reads its own freeform document at its own route, with
 *   `isEnabled: false` (it cannot read the feature-flag format).
 *
 * The anchor runs `require('aws-sdk')` (the SDK v2, which it does not declare)
 * and `new aws.SSM()` when it is loaded; it uses SSM only when
 * `FAILURE_INJECTION_PARAM` is set, never on its AppConfig path. Rather than
 * install that deprecated SDK, `require('aws-sdk')` is answered by a stub
 * whose SSM throws if it is ever called; the anchor's own code runs unchanged.
 *
 * Usage: npx ts-node --project tsconfig.dev.json bench/failure-injection.bench.ts
 */
import * as os from 'os';
import { median, percentile, ratio } from './stats';
import { clearConfigurationCache, FAILURE_INJECTION_PATH_ENV, injectFailure } from '../src/runtime';
import { ALL_FAILURE_FLAGS_OFF, startLocalAppConfigExtension } from '../src/testing';

const INVOCATIONS = 2_000;
const WARM_UP = 200;

const OURS_ROUTE = '/applications/bench/environments/bench/configurations/failure-injection';
const ANCHOR_ROUTE = '/applications/bench/environments/bench/configurations/failure-lambda';
/** failure-lambda 0.4.4's freeform format (README example), injection off. */
const ANCHOR_DISABLED = { isEnabled: false, failureMode: 'latency', rate: 1, minLatency: 100, maxLatency: 400 };

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

function loadAnchor(): (handler: Handler) => Handler {
  const stub = {
    SSM: class {
      getParameter(): never {
        throw new Error('the aws-sdk stub: failure-lambda reads SSM only when FAILURE_INJECTION_PARAM is set');
      }
    },
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('module');
  const load = Module._load;
  Module._load = (request: string, ...rest: unknown[]) => request === 'aws-sdk' ? stub : load(request, ...rest);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('failure-lambda');
  } finally {
    Module._load = load;
  }
}

async function main(): Promise<void> {
  // The AppConfig extension stand-in: both documents at their routes.
  const extension = await startLocalAppConfigExtension();
  extension.serve(OURS_ROUTE, ALL_FAILURE_FLAGS_OFF);
  extension.serve(ANCHOR_ROUTE, ANCHOR_DISABLED);
  // Both read the extension on localhost at AWS_APPCONFIG_EXTENSION_HTTP_PORT, as in Lambda.
  process.env.AWS_APPCONFIG_EXTENSION_HTTP_PORT = String(extension.port);
  process.env[FAILURE_INJECTION_PATH_ENV] = OURS_ROUTE;
  process.env.FAILURE_APPCONFIG_APPLICATION = 'bench';
  process.env.FAILURE_APPCONFIG_ENVIRONMENT = 'bench';
  process.env.FAILURE_APPCONFIG_CONFIGURATION = 'failure-lambda';
  try {
    const result = { statusCode: 200, body: 'ok' };
    const bare: Handler = async () => result;
    const variants: Array<{ name: string; handler: Handler; route?: string }> = [
      { name: 'bare handler', handler: bare },
      { name: 'cdk-resilience `injectFailure`', handler: injectFailure(bare), route: OURS_ROUTE },
      { name: 'failure-lambda 0.4.4', handler: loadAnchor()(bare), route: ANCHOR_ROUTE },
    ];
    for (const v of variants) {
      for (let i = 0; i < WARM_UP; i++) {
        if (await v.handler({}, {}) !== result) throw new Error(`${v.name} changed the result`);
      }
    }
    // The measured run starts cold: our first invocation reads the configuration again.
    clearConfigurationCache();
    extension.requests.length = 0;
    const durations = variants.map(() => [] as number[]);
    for (let i = 0; i < INVOCATIONS; i++) {
      // Interleaved, in a rotating order, so that noise of the machine falls on every variant alike.
      for (let k = 0; k < variants.length; k++) {
        const j = (i + k) % variants.length;
        const start = process.hrtime.bigint();
        await variants[j].handler({}, {});
        durations[j].push(Number(process.hrtime.bigint() - start) / 1e3);
      }
    }
    const baseMedian = median(durations[0]);
    const baseP99 = percentile(durations[0], 0.99);
    const rows = variants.map((v, j) => ({
      name: v.name,
      fetches: v.route ? extension.count(v.route) / INVOCATIONS : 0,
      median: median(durations[j]) - baseMedian,
      p99: percentile(durations[j], 0.99) - baseP99,
    }));
    const [, ours, anchor] = rows;
    const fmt = (us: number) => us.toFixed(1);
    console.log([
      `Failure injection, every flag off: ${INVOCATIONS.toLocaleString('en-US')} sequential invocations per handler (after ${WARM_UP} warm-up), `
        + 'AppConfig extension stand-in on 127.0.0.1',
      `(${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node.js ${process.version}, ${new Date().toISOString().slice(0, 10)})`,
      '',
      '| handler | configuration fetches per invocation | added median µs per invocation | added p99 µs per invocation |',
      '|---|---|---|---|',
      `| bare handler | 0 | 0 (bare: ${fmt(baseMedian)}) | 0 (bare: ${fmt(baseP99)}) |`,
      ...rows.slice(1).map(r => `| ${r.name} | ${r.fetches} (${Math.round(r.fetches * INVOCATIONS).toLocaleString('en-US')} of ${INVOCATIONS.toLocaleString('en-US')}) `
        + `| ${fmt(r.median)} | ${fmt(r.p99)} |`),
      `| failure-lambda ÷ cdk-resilience | ${ratio(anchor.fetches, ours.fetches, 1)} | ${ratio(anchor.median, ours.median, 1)} | ${ratio(anchor.p99, ours.p99, 1)} |`,
    ].join('\n'));
  } finally {
    await extension.stop();
  }
}

void main();
