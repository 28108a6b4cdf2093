/**
 * Runtime bundle benchmark: what `cdk-resilience/runtime` adds to a user's
 * Lambda handler, against the published anchors `opossum@9` (an in-memory
 * circuit breaker) and `failure-lambda@0.4.4`, and a bare handler.
 *
 * Each handler is one TypeScript file written to a temporary directory, where
 * `node_modules/cdk-resilience` links to this package: `cdk-resilience/runtime`
 * resolves through the `exports` map of package.json, as in a user's project.
 * esbuild bundles it as the library's own handlers are bundled (bundle, minify,
 * platform node, target node22, cjs, `@aws-sdk/*` external, tree shaking).
 *
 * - size: minified bytes, and gzip -9 bytes of them;
 * - tree shaking: a bundle of one helper must hold no code of the helpers it
 *   does not use (their distinctive strings are searched for);
 * - initialisation (a cold start proxy): the time `require()` of the bundle
 *   takes in a fresh `node` process, median and p90; `@aws-sdk/*` is resolved
 *   from node_modules (NODE_PATH), as Lambda resolves it from its runtime.
 *
 * failure-lambda 0.4.4 requires the AWS SDK v2 (`aws-sdk`), which it does not
 * declare and which no current Lambda runtime provides. Rather than install
 * that deprecated SDK, `aws-sdk` is external to its bundle and, at init, is
 * answered by a stub (as in failure-injection.bench.ts): its figures leave
 * out the SDK v2 it would have to ship.
 *
 * The library is compiled first (jsii) when lib/runtime is missing or older
 * than src/runtime.
 *
 * Usage: npx ts-node --project tsconfig.dev.json bench/runtime-bundles.bench.ts
 */
import { execSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import * as esbuild from 'esbuild';
import { median, percentile, ratio } from './stats';

const ROOT = path.resolve(__dirname, '..');
const SRC_RUNTIME = path.join(ROOT, 'src', 'runtime');
const LIB_RUNTIME = path.join(ROOT, 'lib', 'runtime');
/** Fresh processes per bundle. */
const RUNS = 30;

type RuntimeModule = 'circuit-breaker' | 'failure-injection' | 'appconfig-extension';
/** Strings that only the named module's code holds. */
const MARKERS: Record<RuntimeModule, readonly string[]> = {
  'circuit-breaker': ['ConditionalCheckFailedException', '@aws-sdk/client-dynamodb'],
  'failure-injection': ['FAILURE_INJECTION'],
  'appconfig-extension': ['AWS_APPCONFIG_EXTENSION_HTTP_PORT'],
};

interface Case {
  readonly id: string;
  readonly label: string;
  readonly source: string;
  /** Modules whose code must not be in the bundle; none given: tree shaking does not apply. */
  readonly unused?: readonly RuntimeModule[];
  /** The row this one is compared with in the ratio column. */
  readonly reference?: string;
  readonly external?: readonly string[];
  readonly plugins?: esbuild.Plugin[];
}

interface Measured {
  readonly bundle: Case;
  readonly file: string;
  readonly minified: number;
  readonly gzip: number;
  /** Unused modules found in the bundle (`undefined`: not applicable). */
  readonly leaked?: readonly RuntimeModule[];
  readonly contents: string;
  readonly hash: string;
}

// ---- the handlers -----------------------------------------------------------------------------

const breakerHandler = (from: string) => `import { CircuitBreaker } from '${from}';
const breaker = new CircuitBreaker();
export const handler = async (event: { url: string }) => breaker.fire(async () => (await fetch(event.url)).status);
`;
const injectFailureHandler = (from: string) => `import { injectFailure } from '${from}';
export const handler = injectFailure(async () => ({ statusCode: 200, body: 'ok' }));
`;
const configurationHandler = (from: string) => `import { getConfiguration } from '${from}';
export const handler = async () => {
  const configuration = await getConfiguration<{ greeting: string }>();
  return { statusCode: 200, body: configuration.greeting };
};
`;
const opossumHandler = `import CircuitBreaker from 'opossum';
const breaker = new CircuitBreaker(async (url: string) => (await fetch(url)).status, { timeout: 3000, errorThresholdPercentage: 50, resetTimeout: 10000 });
export const handler = async (event: { url: string }) => breaker.fire(event.url);
`;
const failureLambdaHandler = `import failureLambda from 'failure-lambda';
export const handler = failureLambda(async () => ({ statusCode: 200, body: 'ok' }));
`;
const bareHandler = `export const handler = async () => ({ statusCode: 200, body: 'ok' });
`;

/**
 * Simulates `"sideEffects": false` in this package's package.json: esbuild is
 * told that every file under `dir` is free of side effects.
 */
function sideEffectsFree(dir: string): esbuild.Plugin {
  return {
    name: 'side-effects-false',
    setup(build) {
      build.onResolve({ filter: /^cdk-resilience\/runtime$|^\.\.?\/|^\// }, async (args) => {
        if (args.pluginData?.inner) return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { inner: true },
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        return resolved.path.startsWith(dir + path.sep) ? { path: resolved.path, sideEffects: false } : undefined;
      });
    },
  };
}

const SUBMODULE = (name: string) => path.join(LIB_RUNTIME, `${name}.js`);
const ESM_SOURCE = path.join(SRC_RUNTIME, 'index.ts');

const CASES: readonly Case[] = [
  { id: 'a', label: 'CircuitBreaker from cdk-resilience/runtime', source: breakerHandler('cdk-resilience/runtime'), unused: ['failure-injection', 'appconfig-extension'] },
  { id: 'b', label: 'injectFailure from cdk-resilience/runtime', source: injectFailureHandler('cdk-resilience/runtime'), unused: ['circuit-breaker'] },
  { id: 'c', label: 'getConfiguration from cdk-resilience/runtime', source: configurationHandler('cdk-resilience/runtime'), unused: ['circuit-breaker', 'failure-injection'] },
  { id: 'd', label: 'opossum 9 (in-memory breaker)', source: opossumHandler, reference: 'a' },
  { id: 'e', label: 'failure-lambda 0.4.4 (aws-sdk v2 external)', source: failureLambdaHandler, reference: 'b', external: ['aws-sdk'] },
  { id: 'f', label: 'bare handler', source: bareHandler },
  // The alternatives: the same handlers, the helpers' modules reached otherwise.
  { id: 'a1', label: '(a) + "sideEffects": false (simulated)', source: breakerHandler('cdk-resilience/runtime'), unused: ['failure-injection', 'appconfig-extension'], reference: 'a', plugins: [sideEffectsFree(LIB_RUNTIME)] },
  { id: 'b1', label: '(b) + "sideEffects": false (simulated)', source: injectFailureHandler('cdk-resilience/runtime'), unused: ['circuit-breaker'], reference: 'b', plugins: [sideEffectsFree(LIB_RUNTIME)] },
  { id: 'c1', label: '(c) + "sideEffects": false (simulated)', source: configurationHandler('cdk-resilience/runtime'), unused: ['circuit-breaker', 'failure-injection'], reference: 'c', plugins: [sideEffectsFree(LIB_RUNTIME)] },
  { id: 'a2', label: '(a) from lib/runtime/circuit-breaker.js', source: breakerHandler(SUBMODULE('circuit-breaker')), unused: ['failure-injection', 'appconfig-extension'], reference: 'a' },
  { id: 'b2', label: '(b) from lib/runtime/failure-injection.js', source: injectFailureHandler(SUBMODULE('failure-injection')), unused: ['circuit-breaker'], reference: 'b' },
  { id: 'c2', label: '(c) from lib/runtime/configuration.js', source: configurationHandler(SUBMODULE('configuration')), unused: ['circuit-breaker', 'failure-injection'], reference: 'c' },
  { id: 'a3', label: '(a) from an ESM build (src/runtime/index.ts)', source: breakerHandler(ESM_SOURCE), unused: ['failure-injection', 'appconfig-extension'], reference: 'a' },
  { id: 'b3', label: '(b) from an ESM build (src/runtime/index.ts)', source: injectFailureHandler(ESM_SOURCE), unused: ['circuit-breaker'], reference: 'b' },
  { id: 'c3', label: '(c) from an ESM build (src/runtime/index.ts)', source: configurationHandler(ESM_SOURCE), unused: ['circuit-breaker', 'failure-injection'], reference: 'c' },
  { id: 'a4', label: '(a) from an ESM build + "sideEffects": false (simulated)', source: breakerHandler(ESM_SOURCE), unused: ['failure-injection', 'appconfig-extension'], reference: 'a', plugins: [sideEffectsFree(SRC_RUNTIME)] },
  { id: 'b4', label: '(b) from an ESM build + "sideEffects": false (simulated)', source: injectFailureHandler(ESM_SOURCE), unused: ['circuit-breaker'], reference: 'b', plugins: [sideEffectsFree(SRC_RUNTIME)] },
  { id: 'c4', label: '(c) from an ESM build + "sideEffects": false (simulated)', source: configurationHandler(ESM_SOURCE), unused: ['circuit-breaker', 'failure-injection'], reference: 'c', plugins: [sideEffectsFree(SRC_RUNTIME)] },
];

// ---- bundling ---------------------------------------------------------------------------------

/** Compiles the library (jsii) when lib/runtime is missing or older than src/runtime. */
function compileIfStale(): void {
  const mtimes = (dir: string, ext: string) => fs.existsSync(dir)
    ? fs.readdirSync(dir).filter(f => f.endsWith(ext)).map(f => fs.statSync(path.join(dir, f)).mtimeMs)
    : [];
  const compiled = mtimes(LIB_RUNTIME, '.js');
  if (fs.existsSync(path.join(LIB_RUNTIME, 'index.js')) && Math.min(...compiled) >= Math.max(...mtimes(SRC_RUNTIME, '.ts'))) {
    return;
  }
  console.error('lib/runtime is missing or older than src/runtime: compiling (npx jsii)...');
  execSync('npx jsii --silence-warnings=reserved-word', {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' },
  });
}

const BUILD_OPTIONS: esbuild.BuildOptions = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  treeShaking: true,
  write: false,
  metafile: true,
  logLevel: 'silent',
  nodePaths: [path.join(ROOT, 'node_modules')],
};

async function bundle(dir: string, c: Case): Promise<Measured> {
  const entry = path.join(dir, `${c.id}.ts`);
  fs.writeFileSync(entry, c.source);
  const file = path.join(dir, `${c.id}.bundle.js`);
  const result = await esbuild.build({
    ...BUILD_OPTIONS,
    entryPoints: [entry],
    outfile: file,
    absWorkingDir: dir,
    external: ['@aws-sdk/*', ...c.external ?? []],
    plugins: c.plugins ?? [],
  });
  const output = result.outputFiles![0];
  fs.writeFileSync(file, output.contents);
  const text = output.text;
  const leaked = c.unused?.filter(m => MARKERS[m].some(marker => text.includes(marker)));
  return {
    bundle: c,
    file,
    minified: output.contents.length,
    gzip: zlib.gzipSync(output.contents, { level: 9 }).length,
    leaked,
    contents: contents(result.metafile!, dir),
    hash: createHash('sha256').update(output.contents).digest('hex'),
  };
}

/** The inputs of a bundle and their bytes in it, by package (node_modules) or by file (this package). */
function contents(metafile: esbuild.Metafile, dir: string): string {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const absolute = path.resolve(dir, input);
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(absolute)?.[1];
      const key = pkg ?? (absolute.startsWith(ROOT) ? path.relative(ROOT, absolute) : 'handler');
      bytes.set(key, (bytes.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...bytes].filter(([, n]) => n > 0).sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`).join(', ');
}

/** Whether `cdk-resilience/runtime/<module>` can be imported today (the `exports` map decides). */
async function deepImport(dir: string): Promise<string> {
  const entry = path.join(dir, 'deep.ts');
  fs.writeFileSync(entry, injectFailureHandler('cdk-resilience/runtime/failure-injection'));
  try {
    await esbuild.build({ ...BUILD_OPTIONS, entryPoints: [entry], absWorkingDir: dir, external: ['@aws-sdk/*'] });
    return 'resolves';
  } catch (error) {
    const first = (error as esbuild.BuildFailure).errors?.[0];
    return first ? `fails: ${first.text}${first.notes?.[0] ? ` (${first.notes[0].text})` : ''}` : `fails: ${(error as Error).message}`;
  }
}

// ---- initialisation ---------------------------------------------------------------------------

/** Milliseconds `require()` of each file takes, RUNS fresh processes each, interleaved across files. */
function initTimes(files: readonly string[], stubs: string): Map<string, number[]> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: '',
    NODE_PATH: [stubs, path.join(ROOT, 'node_modules')].join(path.delimiter),
    // What Lambda sets, and what CircuitBreaker's constructor reads.
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    CIRCUIT_BREAKER_TABLE: 'bench-circuits',
  };
  const times = new Map<string, number[]>(files.map(f => [f, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const file of files) {
      const script = `const t=process.hrtime.bigint(); require(${JSON.stringify(file)}); console.log(Number(process.hrtime.bigint()-t))`;
      const child = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
      if (child.status !== 0) {
        throw new Error(`require(${file}) failed: ${child.stderr}`);
      }
      times.get(file)!.push(Number(child.stdout.trim()) / 1e6);
    }
  }
  return times;
}

// ---- report -----------------------------------------------------------------------------------

const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const ms = (value: number) => value.toFixed(1);

async function main(): Promise<void> {
  compileIfStale();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-resilience-bundles-'));
  const link = path.join(dir, 'node_modules', 'cdk-resilience');
  try {
    // The handlers import `cdk-resilience/runtime` as a user's would: through this package's `exports` map.
    fs.mkdirSync(path.dirname(link));
    fs.symlinkSync(ROOT, link, 'dir');
    // failure-lambda's `require('aws-sdk')` at init: `new aws.SSM()`, used only when FAILURE_INJECTION_PARAM is set.
    const stubs = path.join(dir, 'stubs');
    fs.mkdirSync(path.join(stubs, 'aws-sdk'), { recursive: true });
    fs.writeFileSync(path.join(stubs, 'aws-sdk', 'index.js'),
      'exports.SSM = class SSM { getParameter() { throw new Error("aws-sdk stub: SSM is not used by this benchmark"); } };\n');

    const measured: Measured[] = [];
    for (const c of CASES) {
      measured.push(await bundle(dir, c));
    }
    const deep = await deepImport(dir);

    // Identical bundles are timed once.
    const byHash = new Map<string, string>();
    for (const m of measured) {
      if (!byHash.has(m.hash)) byHash.set(m.hash, m.file);
    }
    const times = initTimes([...byHash.values()], stubs);
    const init = (m: Measured) => times.get(byHash.get(m.hash)!)!;
    const byId = new Map(measured.map(m => [m.bundle.id, m]));

    const rows = measured.map(m => {
      const t = init(m);
      const treeShaken = m.leaked === undefined ? 'n.a.' : m.leaked.length === 0 ? 'yes' : `no (holds ${m.leaked.join(', ')})`;
      const ref = m.bundle.reference ? byId.get(m.bundle.reference)! : undefined;
      const vs = ref
        ? `vs (${ref.bundle.id}): ${ratio(m.minified, ref.minified)} / ${ratio(m.gzip, ref.gzip)} / ${ratio(median(t), median(init(ref)))}`
        : '';
      const same = measured.find(o => o !== m && o.hash === m.hash && measured.indexOf(o) < measured.indexOf(m));
      const label = same ? `${m.bundle.label} [same bytes as (${same.bundle.id})]` : m.bundle.label;
      return `| (${m.bundle.id}) ${label} | ${kb(m.minified)} | ${kb(m.gzip)} | ${treeShaken} | ${ms(median(t))} | ${ms(percentile(t, 0.9))} | ${vs} |`;
    });

    const cpus = os.cpus();
    console.log([
      `Runtime bundles: esbuild ${esbuild.version} (bundle, minify, platform node, target node22, cjs, @aws-sdk/* external, tree shaking); `
        + `init = require() of the bundle in a fresh node process, ${RUNS} processes per bundle, interleaved`,
      `(${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, Node.js ${process.version}, ${new Date().toISOString().slice(0, 10)}, load average ${os.loadavg()[0].toFixed(1)})`,
      '',
      '| handler | minified KB | gzip KB | tree-shaken | init median ms | init p90 ms | ratio to ours (minified / gzip / init median) |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
      'KB = 1,024 bytes; gzip -9 of the minified bundle. Tree-shaken: the bundle holds none of the strings of the runtime modules the handler does not use '
        + '(circuit-breaker: "ConditionalCheckFailedException", "@aws-sdk/client-dynamodb"; failure-injection: "FAILURE_INJECTION"; '
        + 'appconfig-extension: "AWS_APPCONFIG_EXTENSION_HTTP_PORT").',
      'Ratio: this row ÷ the row named: the anchors (d, e) ÷ our helper; the alternatives ÷ today\'s import through cdk-resilience/runtime.',
      '(e): aws-sdk (v2) is external and answered at init by a stub; its bundle and init leave out the SDK v2 it needs.',
      `Deep import \`cdk-resilience/runtime/failure-injection\` today: ${deep}`,
      '',
      'Bytes in each bundle, by input:',
      ...measured.map(m => `- (${m.bundle.id}) ${m.minified.toLocaleString('en-US')} B minified, ${m.gzip.toLocaleString('en-US')} B gzip: ${m.contents}`),
    ].join('\n'));
  } finally {
    // The link first: the temporary directory is removed without following it.
    try {
      fs.unlinkSync(link);
    } catch {
      // never linked
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
