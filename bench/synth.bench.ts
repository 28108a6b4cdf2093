/**
 * Synth benchmark: what a stack of N `QueueDecoupledFunction`s costs at synth
 * time and in the template, against
 * - the floor: the same resources written by hand with aws-cdk-lib L2s, and
 * - the anchor: N `SqsToLambda` of AWS Solutions Constructs
 *   (@aws-solutions-constructs/aws-sqs-lambda), with the same function.
 *
 * Every synth runs `node <app>.js` in a fresh process (the apps are in
 * bench/synth/, transpiled into a temp folder first): the time is from spawn
 * to exit, the memory is the child's peak RSS. Each app synthesizes a plain
 * `App` with `app.synth()` into a temp outdir; `CDK_VALIDATION=false` keeps
 * aws-cdk-lib's bundled template validator (a default validation plugin) out.
 * Ours is loaded from the compiled library (lib/), which the project's compile
 * task (`npx projen compile`) builds from src/ first.
 *
 * Import time, in its own table: in a fresh process (bench/synth/import-time.ts),
 * the time `require` of what each app imports beyond aws-cdk-lib takes on top
 * of `require('aws-cdk-lib')`: for ours the compiled library, for the floor the
 * aws-cdk-lib submodules it uses, for the anchor its Solutions Construct; and
 * the same on top of the aws-cdk-lib code the floor loads (aws-cdk-lib loads a
 * submodule's code when one of its exports is first read, so the floor pays for
 * it as it constructs). None of the apps uses `ResilienceChecks`; a last row
 * adds `new ResilienceChecks()` to ours, which loads the checks (and cdk-nag)
 * on first use.
 *
 * Usage: npx ts-node --project tsconfig.dev.json bench/synth.bench.ts
 */
import { spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import { createRequire, isBuiltin } from 'module';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { compile } from './compile';
import { median, percentile, ratio } from './stats';
import type { ChildReport } from './synth/harness';
import type { ImportReport } from './synth/import-time';

const ROOT = path.resolve(__dirname, '..');
const APPS_DIR = path.join(__dirname, 'synth');
const SIZES = [10, 40];
/** Timed runs per stack and size (plus one untimed warm-up). */
const RUNS = 17;
/** Fresh processes per import-time variant (plus one untimed warm-up). */
const IMPORT_RUNS = 31;
const STACKS = ['ours', 'floor', 'anchor'] as const;
type StackName = typeof STACKS[number];
const LABELS: Record<StackName, string> = {
  ours: 'ours (QueueDecoupledFunction)',
  floor: 'floor (hand-written L2s)',
  anchor: `anchor (SqsToLambda ${packageVersion('@aws-solutions-constructs/aws-sqs-lambda')})`,
};
const MAX_RESOURCES = 500;
/** CloudFormation's largest template (given by S3 URL, as the CDK does): 1 MB. */
const MAX_TEMPLATE_BYTES = 1024 * 1024;
const TIME_BIN = '/usr/bin/time';

interface Run {
  readonly wallMs: number;
  readonly maxRssKb: number;
  readonly child: ChildReport;
}

interface TemplateFigures {
  readonly resources: number;
  /** `JSON.stringify(template)`. */
  readonly jsonBytes: number;
  /** The template file as aws-cdk-lib writes it (and CloudFormation receives it). */
  readonly fileBytes: number;
  readonly fileHash: string;
  /** Per resource type: count and `JSON.stringify` bytes. */
  readonly byType: Map<string, { count: number; bytes: number }>;
}

function packageVersion(name: string): string {
  return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

/** A require of an app that is pinned to a file: as written, and the file it resolves to. */
interface PinnedImport {
  readonly specifier: string;
  readonly file: string;
}

/**
 * Transpiles bench/synth/*.ts into `outdir`. Each require of a package or of a
 * file outside bench/synth is pinned to the file it resolves to from
 * bench/synth, so `node <outdir>/<app>.js` loads the project's lib/ and node_modules.
 * Returns the pinned requires of each file (by the name of its .js), in order.
 */
function transpileApps(outdir: string): Map<string, PinnedImport[]> {
  const resolveFromApps = createRequire(path.join(APPS_DIR, 'index.js'));
  const imports = new Map<string, PinnedImport[]>();
  for (const file of fs.readdirSync(APPS_DIR).filter(f => f.endsWith('.ts'))) {
    const { outputText } = ts.transpileModule(fs.readFileSync(path.join(APPS_DIR, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
      fileName: file,
    });
    const fileImports: PinnedImport[] = [];
    const pinned = outputText.replace(/require\((['"])([^'"]+)\1\)/g, (call, _quote: string, specifier: string) => {
      if (isBuiltin(specifier) || specifier.startsWith('./')) return call;
      const resolved = resolveFromApps.resolve(specifier);
      fileImports.push({ specifier, file: resolved });
      return `require(${JSON.stringify(resolved)})`;
    });
    const js = file.replace(/\.ts$/, '.js');
    imports.set(js, fileImports);
    fs.writeFileSync(path.join(outdir, js), pinned);
  }
  return imports;
}

/** Runs `node <app>.js <n> <outdir>` once; reads its template, then removes the outdir. */
function synthOnce(appsDir: string, stack: StackName, n: number): Promise<{ run: Run; template: TemplateFigures }> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `synth-bench-${stack}-${n}-`));
  const node = [process.execPath, path.join(appsDir, `${stack}.app.js`), String(n), outdir];
  const useTime = fs.existsSync(TIME_BIN);
  const [command, ...args] = useTime ? [TIME_BIN, '-f', 'SYNTH_BENCH_MAXRSS_KB=%M', ...node] : node;
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, CDK_VALIDATION: 'false' } });
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    let wallMs = 0;
    child.on('exit', () => { wallMs = Number(process.hrtime.bigint() - start) / 1e6; });
    child.on('close', (code) => {
      try {
        if (code !== 0) {
          throw new Error(`${stack} (N = ${n}) exited with ${code}:\n${stderr}`);
        }
        const report: ChildReport = JSON.parse(stdout.trim().split('\n').pop()!);
        const timed = /SYNTH_BENCH_MAXRSS_KB=(\d+)/.exec(stderr);
        const template = readTemplate(outdir);
        resolve({ run: { wallMs, child: report, maxRssKb: timed ? Number(timed[1]) : report.maxRssKb }, template });
      } catch (e) {
        reject(e);
      } finally {
        fs.rmSync(outdir, { recursive: true, force: true });
      }
    });
  });
}

function readTemplate(outdir: string): TemplateFigures {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
  const templateFiles = Object.values<any>(manifest.artifacts)
    .filter(a => a.type === 'aws:cloudformation:stack')
    .map(a => path.join(outdir, a.properties.templateFile));
  if (templateFiles.length !== 1) {
    throw new Error(`expected one stack in ${outdir}, got ${templateFiles.length}`);
  }
  const text = fs.readFileSync(templateFiles[0], 'utf8');
  const template = JSON.parse(text);
  const resources: Record<string, any> = template.Resources ?? {};
  const byType = new Map<string, { count: number; bytes: number }>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    const entry = byType.get(resource.Type) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += Buffer.byteLength(JSON.stringify({ [logicalId]: resource }));
    byType.set(resource.Type, entry);
  }
  return {
    resources: Object.keys(resources).length,
    jsonBytes: Buffer.byteLength(JSON.stringify(template)),
    fileBytes: Buffer.byteLength(text),
    fileHash: crypto.createHash('sha256').update(text).digest('hex'),
    byType,
  };
}

interface Row {
  readonly stack: StackName;
  readonly runs: Run[];
  readonly template: TemplateFigures;
  /** The same stack with no pattern: what each template has whatever N is. */
  readonly empty: TemplateFigures;
  readonly deterministic: boolean;
}

async function measure(appsDir: string, n: number, empty: Record<StackName, TemplateFigures>): Promise<Row[]> {
  const first: Partial<Record<StackName, TemplateFigures>> = {};
  const runs: Record<StackName, Run[]> = { ours: [], floor: [], anchor: [] };
  const deterministic: Record<StackName, boolean> = { ours: true, floor: true, anchor: true };
  // One untimed warm-up each, then the timed runs, interleaved and in a rotating order so drift hits all three alike.
  for (let round = 0; round <= RUNS; round++) {
    for (let i = 0; i < STACKS.length; i++) {
      const stack = STACKS[(round + i) % STACKS.length];
      const { run, template } = await synthOnce(appsDir, stack, n);
      if (round === 0) {
        first[stack] = template;
        continue;
      }
      runs[stack].push(run);
      deterministic[stack] &&= template.fileHash === first[stack]!.fileHash;
    }
  }
  return STACKS.map(stack => ({ stack, runs: runs[stack], template: first[stack]!, empty: empty[stack], deterministic: deterministic[stack] }));
}

function table(n: number, rows: Row[]): string {
  const figures = rows.map(row => {
    const { template, empty } = row;
    const resourcesPerPattern = (template.resources - empty.resources) / n;
    const fileBytesPerPattern = (template.fileBytes - empty.fileBytes) / n;
    return {
      row,
      seconds: median(row.runs.map(r => r.wallMs)) / 1000,
      rssMb: median(row.runs.map(r => r.maxRssKb)) / 1024,
      resourcesPerPattern,
      kbPerPattern: template.jsonBytes / n / 1024,
      fitResources: Math.floor((MAX_RESOURCES - empty.resources) / resourcesPerPattern),
      fitBytes: Math.floor((MAX_TEMPLATE_BYTES - empty.fileBytes) / fileBytesPerPattern),
    };
  });
  const floor = figures.find(f => f.row.stack === 'floor')!;
  const lines = figures.map(f => `| ${LABELS[f.row.stack]} | ${f.seconds.toFixed(2)} | ${ratio(f.seconds, floor.seconds)} | ${f.rssMb.toFixed(0)} | ${f.resourcesPerPattern.toFixed(1)} | ${f.kbPerPattern.toFixed(2)} | ${ratio(f.kbPerPattern, floor.kbPerPattern)} | ${f.fitResources} | ${f.fitBytes} |`);
  const inProcess = figures.map(f => {
    const m = (pick: (r: Run) => number) => Math.round(median(f.row.runs.map(pick)));
    const spread = Math.max(...f.row.runs.map(r => r.wallMs)) / Math.min(...f.row.runs.map(r => r.wallMs));
    return `${f.row.stack} ${m(r => r.child.loadMs)} + ${m(r => r.child.constructMs)} + ${m(r => r.child.synthMs)} (slowest/fastest run ${spread.toFixed(2)})`;
  });
  const unstable = rows.filter(r => !r.deterministic).map(r => r.stack);
  return [
    `**N = ${n}** patterns in one stack (ResilienceChecks not used)`,
    '',
    '| stack | median synth s | ratio to floor | peak RSS MB | resources per pattern | template KB per pattern | ratio to floor | patterns per stack (500 resources) | patterns per stack (1 MB) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...lines,
    '',
    `In the child, median ms of start-up and requires + construct + synth: ${inProcess.join('; ')}.`,
    ...unstable.length ? [`Not deterministic: the template of ${unstable.join(', ')} changed between runs.`] : [],
  ].join('\n');
}

/** Resources and `JSON.stringify` bytes per pattern, by resource type (from the N = `n` templates). */
function typeTable(n: number, rows: Row[]): string {
  const types = [...new Set(rows.flatMap(r => [...r.template.byType.keys()]))].sort();
  const cell = (row: Row, type: string) => {
    const entry = row.template.byType.get(type);
    const before = row.empty.byType.get(type);
    if (!entry) return '–';
    const count = (entry.count - (before?.count ?? 0)) / n;
    const bytes = (entry.bytes - (before?.bytes ?? 0)) / n;
    return `${Number(count.toFixed(2))} · ${Math.round(bytes)} B`;
  };
  return [
    `Per pattern by resource type (N = ${n}): count · bytes of JSON.stringify`,
    '',
    `| resource type | ${rows.map(r => r.stack).join(' | ')} |`,
    `|---|${rows.map(() => '---').join('|')}|`,
    ...types.map(type => `| ${type} | ${rows.map(r => cell(r, type)).join(' | ')} |`),
  ].join('\n');
}

interface ImportRow {
  readonly label: string;
  /** What the app imports beyond aws-cdk-lib, as written. */
  readonly imports: string;
  /** On top of `require('aws-cdk-lib')`. */
  readonly runs: ImportReport[];
  /** On top of the aws-cdk-lib code the floor loads (`--after-floor`). */
  readonly afterFloorRuns: ImportReport[];
}

interface ImportRows {
  /** Ours, the floor and the anchor: no `ResilienceChecks`. */
  readonly stacks: Record<StackName, ImportRow>;
  /** Ours, and `new ResilienceChecks()`. */
  readonly oursWithChecks: ImportRow;
}

/** `node import-time.js <args>` once, in a fresh process. */
function importOnce(appsDir: string, args: readonly string[]): ImportReport {
  const child = spawnSync(process.execPath, [path.join(appsDir, 'import-time.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
  if (child.status !== 0) {
    throw new Error(`import-time.js ${args.join(' ')} exited with ${child.status}:\n${child.stderr}`);
  }
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

/**
 * The import time of each app: the requires of `<stack>.app.js` beyond aws-cdk-lib
 * (its helper, harness.js, requires only aws-cdk-lib and aws-cdk-lib/aws-lambda),
 * on top of `require('aws-cdk-lib')`, and on top of the aws-cdk-lib code the
 * floor loads. IMPORT_RUNS fresh processes each, after one untimed warm-up
 * round, interleaved in a rotating order.
 */
function measureImports(appsDir: string, imports: Map<string, PinnedImport[]>): ImportRows {
  const beyondCdkLib = (stack: StackName) => imports.get(`${stack}.app.js`)!.filter(i => i.specifier !== 'aws-cdk-lib');
  const name = (i: PinnedImport) => i.specifier.startsWith('.') ? `cdk-resilience (${path.relative(ROOT, i.file)})` : i.specifier;
  const rowSpecs = [
    ...STACKS.map(stack => ({ label: LABELS[stack], imports: beyondCdkLib(stack).map(name), args: beyondCdkLib(stack).map(i => i.file) })),
    {
      label: `${LABELS.ours} + \`new ResilienceChecks()\``,
      imports: [...beyondCdkLib('ours').map(name), `cdk-nag ${packageVersion('cdk-nag')} (when constructed)`],
      args: ['--new', 'ResilienceChecks', ...beyondCdkLib('ours').map(i => i.file)],
    },
  ];
  const variants = rowSpecs.flatMap(spec => [spec.args, ['--after-floor', ...spec.args]]);
  const runs = variants.map((): ImportReport[] => []);
  for (let round = 0; round <= IMPORT_RUNS; round++) {
    for (let i = 0; i < variants.length; i++) {
      const j = (round + i) % variants.length;
      const report = importOnce(appsDir, variants[j]);
      if (round > 0) runs[j].push(report);
    }
  }
  const rows = rowSpecs.map((spec, k): ImportRow => ({
    label: spec.label,
    imports: spec.imports.join(', '),
    runs: runs[2 * k],
    afterFloorRuns: runs[2 * k + 1],
  }));
  return {
    stacks: Object.fromEntries(STACKS.map((stack, k) => [stack, rows[k]])) as Record<StackName, ImportRow>,
    oursWithChecks: rows[STACKS.length],
  };
}

function importTable(rows: ImportRows): string {
  const ms = (value: number) => value.toFixed(1);
  const importMs = (runs: ImportReport[]) => runs.map(r => r.importMs);
  const floor = median(importMs(rows.stacks.floor.runs));
  const line = (row: ImportRow) => `| ${row.label} | ${row.imports} | ${ms(median(importMs(row.runs)))} | ${ms(percentile(importMs(row.runs), 0.9))} `
    + `| ${ratio(median(importMs(row.runs)), floor)} | ${ms(median(importMs(row.afterFloorRuns)))} | ${ms(median(row.runs.map(r => r.cdkLibMs)))} |`;
  const header = [
    '| stack | imports beyond aws-cdk-lib | median import ms on top of require(\'aws-cdk-lib\') | p90 import ms | ratio to floor '
      + '| median import ms on top of the floor\'s aws-cdk-lib code | median ms of require(\'aws-cdk-lib\') |',
    '|---|---|---|---|---|---|---|',
  ];
  const checksCost = median(importMs(rows.oursWithChecks.runs)) - median(importMs(rows.stacks.ours.runs));
  return [
    `**Import time, ResilienceChecks not used** (no app constructs a \`ResilienceChecks\`): in a fresh process, \`require\` of what the app imports beyond aws-cdk-lib, after \`require('aws-cdk-lib')\`; median of ${IMPORT_RUNS} processes after a warm-up, interleaved`,
    '',
    ...header,
    ...STACKS.map(stack => line(rows.stacks[stack])),
    '',
    '**Import time, ResilienceChecks used** (ours also constructs `new ResilienceChecks()`, which loads the checks and cdk-nag): '
      + 'measured as above, interleaved with those processes; ratio to the floor of the table above',
    '',
    ...header,
    line(rows.oursWithChecks),
    '',
    `Using the checks adds ${ms(checksCost)} ms to ours (median with − median without).`,
    'aws-cdk-lib loads the code of a submodule when one of its exports is first read, not when it is required: the floor reads them as it constructs, '
      + 'ours reads some as it loads (its classes extend aws-cdk-lib\'s), and pays for them at import. The column "on top of the floor\'s aws-cdk-lib code" '
      + 'first reads one export of each aws-cdk-lib module the floor uses (App, Stack, Duration, Alarm, Function, SqsEventSource, Queue, Construct), which every app loads anyway.',
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const load = os.loadavg()[0];
  compile();
  const appsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-bench-apps-'));
  try {
    const imports = transpileApps(appsDir);
    // The empty stack of each app (also warms the disk cache): what every template has whatever N is.
    const empty = {} as Record<StackName, TemplateFigures>;
    for (const stack of STACKS) {
      empty[stack] = (await synthOnce(appsDir, stack, 0)).template;
    }
    const importRows = measureImports(appsDir, imports);
    const results: Array<{ n: number; rows: Row[] }> = [];
    for (const n of SIZES) {
      results.push({ n, rows: await measure(appsDir, n, empty) });
    }
    const cpus = os.cpus();
    console.log([
      `Synth: N patterns in one stack, each synth \`node <app>.js\` in a fresh process (spawn to exit), median of ${RUNS} runs after a warm-up; aws-cdk-lib ${packageVersion('aws-cdk-lib')}, plain App, CDK_VALIDATION=false`,
      `(${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, Node.js ${process.version}, ${new Date().toISOString().slice(0, 10)}; load average ${load.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end)`,
      '',
      importTable(importRows),
      '',
      ...results.flatMap(({ n, rows }) => [table(n, rows), '']),
      typeTable(SIZES[0], results[0].rows),
      '',
      'Resources per pattern: (resources − those of the empty stack) / N. Template KB per pattern: JSON.stringify(template) bytes / N / 1,024.',
      `Patterns per stack: the most that keep the stack within ${MAX_RESOURCES} resources, and within ${MAX_TEMPLATE_BYTES} bytes of template file as aws-cdk-lib writes it (indented; what CloudFormation receives), after the empty stack's share.`,
      `Peak RSS: the child's max RSS (${fs.existsSync(TIME_BIN) ? `${TIME_BIN} %M` : 'process.resourceUsage().maxRSS'}), median of the runs. Took ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    ].join('\n'));
  } finally {
    fs.rmSync(appsDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
