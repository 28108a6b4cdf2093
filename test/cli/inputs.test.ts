/**
 * What the command line reads, and what it says when it cannot: nothing is
 * skipped in silence, and one bad input does not hide the others' findings.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, NestedStack, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { runCli, writeFile } from './cli';
import { EXIT } from '../../src/cli/cdk-resilience';
import { consumerTemplate, consumerWithoutRedrive } from '../fixtures/templates';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-resilience-inputs-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A file in the test's folder with `content` (JSON unless a string). */
const file = (name: string, content: unknown) => writeFile(work, name, content);
const run = (...args: string[]) => runCli('check', ...args);

/** A cloud assembly of a stack with a nested stack (each with a queue), as the CDK CLI writes it. */
function assemblyWithNestedStack(): { outdir: string; parent: string; nested: string } {
  const outdir = fs.mkdtempSync(path.join(work, 'cdk.out-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true } });
  const shop = new Stack(app, 'Shop');
  new sqs.Queue(shop, 'Orders');
  new sqs.Queue(new NestedStack(shop, 'Billing'), 'Invoices');
  app.synth();
  const parent = path.join(outdir, 'Shop.template.json');
  const nested = fs.readdirSync(outdir).find(f => f.endsWith('.nested.template.json'))!;
  return { outdir, parent, nested: path.join(outdir, nested) };
}

describe('cdk-resilience check: what it reads', () => {
  test('a cloud assembly with a nested stack reads both templates', () => {
    // GIVEN / WHEN
    const { outdir } = assemblyWithNestedStack();
    const { code, out } = run(outdir);
    // THEN
    expect(code).toBe(EXIT.OK);
    expect(out).toContain('in 2 template(s)');
  });

  test('a nested stack whose template is missing is an error that names it, not one template fewer', () => {
    // GIVEN
    const { outdir, nested } = assemblyWithNestedStack();
    fs.rmSync(nested);
    // WHEN
    const { code, err } = run(outdir);
    // THEN
    expect(code).toBe(EXIT.USAGE);
    expect(err).toMatch(new RegExp(`cannot read the nested stack \\S+ of '.*Shop.template.json': its template '.*${path.basename(nested).replace(/\./g, '\\.')}' is not in the cloud assembly`));
  });

  test('a nested stack that includes itself is an error, not a stack overflow', () => {
    // GIVEN the nested template names itself as a nested stack
    const { outdir, nested } = assemblyWithNestedStack();
    const template = JSON.parse(fs.readFileSync(nested, 'utf8'));
    template.Resources.Again = { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: 'x' }, Metadata: { 'aws:asset:path': path.basename(nested) } };
    fs.writeFileSync(nested, JSON.stringify(template));
    // WHEN
    const { code, err } = run(outdir);
    // THEN
    expect(code).toBe(EXIT.USAGE);
    expect(err).toMatch(/cannot read the nested stack Again of '.*': its template '.*' includes itself/);
    expect(err).not.toMatch(/call stack/);
  });

  test('a symbolic link loop is named as such', () => {
    // GIVEN
    const loop = path.join(work, 'loop.json');
    fs.symlinkSync(loop, loop);
    // WHEN
    const { code, err } = run(loop);
    // THEN
    expect(code).toBe(EXIT.USAGE);
    expect(err).toContain(`cannot read '${loop}': a symbolic link that leads back to itself (a symbolic link loop)`);
  });

  test('one unreadable file among several: the others are checked and reported, then the command exits 2', () => {
    // GIVEN a good template with a finding, a missing file, and another good one
    const good = file('good.json', consumerWithoutRedrive());
    const other = file('other.json', consumerTemplate());
    // WHEN
    const text = run(good, path.join(work, 'missing.json'), other);
    const json = run('--format', 'json', good, path.join(work, 'missing.json'), other);
    // THEN the findings of the good ones are printed, the missing one is named, and the exit code says so
    expect(text.code).toBe(EXIT.USAGE);
    expect(text.out).toContain('ERROR   Resilience-SQS1  Orders');
    expect(text.out).toContain('1 error(s), 1 warning(s) in 2 template(s); 1 input(s) not read');
    expect(text.err).toContain(`cannot read '${path.join(work, 'missing.json')}': no such file or directory`);
    const output = JSON.parse(json.out);
    expect(output.success).toBe(false);
    expect(output.templates.map((t: any) => t.file)).toEqual([good, other]);
    expect(output.unreadable).toEqual([{ input: path.join(work, 'missing.json'), error: expect.stringMatching(/no such file or directory/) }]);
  });

  test('JSON with a UTF-8 byte order mark is read', () => {
    // GIVEN
    const bom = file('bom.json', `\uFEFF${JSON.stringify(consumerWithoutRedrive())}`);
    // WHEN
    const { code, out } = run(bom);
    // THEN
    expect(code).toBe(EXIT.FINDINGS);
    expect(out).toContain('ERROR   Resilience-SQS1  Orders');
  });

  test('JSON with a key twice in one object is refused, with the key, the line and where', () => {
    // GIVEN a queue with two VisibilityTimeout keys (JSON.parse would keep the last one without a word)
    const text = JSON.stringify(consumerTemplate(), null, 2).replace('"VisibilityTimeout": 180,', '"VisibilityTimeout": 180,\n          "VisibilityTimeout": 10,');
    const twice = file('twice.json', text);
    // WHEN
    const { code, err } = run(twice);
    // THEN
    expect(code).toBe(EXIT.USAGE);
    expect(err).toMatch(/cannot read '.*twice.json': not a valid template: the key "VisibilityTimeout" appears twice in one object \(line \d+, at Resources\.Orders\.Properties\)/);
  });

  test('a metadata file that cannot be read is named', () => {
    // GIVEN an assembly whose stack records its metadata in a file that is not JSON
    const { outdir } = assemblyWithNestedStack();
    const manifestFile = path.join(outdir, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    manifest.artifacts.Shop.additionalMetadataFile = 'Shop.metadata.json';
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    fs.writeFileSync(path.join(outdir, 'Shop.metadata.json'), '{ not json');
    // WHEN
    const { code, err } = run(outdir);
    // THEN
    expect(code).toBe(EXIT.USAGE);
    expect(err).toMatch(/cannot read the metadata file '.*Shop\.metadata\.json' of stack Shop: /);
  });

  test.each([
    ['1000000', EXIT.FINDINGS],
    ['1000001', EXIT.USAGE],
  ])('--retry-budget-threshold %s', (threshold, expected) => {
    // GIVEN
    const template = file(`threshold-${threshold}.json`, consumerWithoutRedrive());
    // WHEN
    const { code, err } = run('--retry-budget-threshold', threshold, template);
    // THEN the upper end of the range is accepted, one more is refused
    expect(code).toBe(expected);
    if (expected === EXIT.USAGE) expect(err).toContain(`--retry-budget-threshold must be a whole number between 1 and 1000000, got '${threshold}'`);
  });

  test('--parameter must be Name=Value', () => {
    // GIVEN / WHEN
    const { code, err } = run('--parameter', 'BatchSize', file('p.json', consumerTemplate()));
    // THEN
    expect(code).toBe(EXIT.USAGE);
    expect(err).toContain('--parameter must be Name=Value (a template parameter\'s logical ID, letters and digits), got \'BatchSize\'');
  });
});
