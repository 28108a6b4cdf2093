import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliFinding, CliTemplateResult, EXIT, main, UNCHECKED_TRANSFORM_RULE } from '../../src/cli/cdk-resilience';
import { processedTemplateFile, rawTemplateFile, SAM_FIXTURES, SAM_FIXTURES_DIR } from '../fixtures/sam-templates';
import { consumerTemplate } from '../fixtures/templates';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-resilience-sam-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function run(...args: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(args, { out: t => out += t, err: t => err += t });
  return { code, out, err };
}

function jsonRun(...args: string[]): { code: number; templates: CliTemplateResult[] } {
  const { code, out } = run('check', '--format', 'json', ...args);
  return { code, templates: JSON.parse(out).templates };
}

function file(name: string, content: string): string {
  const target = path.join(work, name);
  fs.writeFileSync(target, content);
  return target;
}

/** What makes two findings the same: rule, level, resource, and the message with the stack's name taken out. */
function key(f: CliFinding, stack: string): string {
  return `${f.rule} ${f.level} ${f.logicalId} ${f.message.split(`${stack}/`).join('')}`;
}

/** The retry paths with the stack's name taken out of each hop. */
function paths(result: CliTemplateResult): string[] {
  return result.retryPaths.map(p => `${p.hops.map(h => h.slice(result.stack.length + 1)).join(' → ')} ${p.attempts.join(',')} ${p.worstCaseInvocations} ${p.cyclic}`).sort();
}

describe('cdk-resilience check on AWS SAM templates', () => {
  const results = new Map<string, { raw: CliTemplateResult; processed: CliTemplateResult; rawCode: number; processedCode: number }>();
  beforeAll(() => {
    for (const name of SAM_FIXTURES) {
      const raw = jsonRun(rawTemplateFile(name));
      const processed = jsonRun(processedTemplateFile(name));
      results.set(name, { raw: raw.templates[0], processed: processed.templates[0], rawCode: raw.code, processedCode: processed.code });
    }
  });

  test.each(SAM_FIXTURES)('%s: the raw template gets the findings and retry paths of the template the SAM translator makes of it', name => {
    // GIVEN the raw template and its processed twin (test/fixtures/sam/regenerate.py)
    const { raw, processed, rawCode, processedCode } = results.get(name)!;
    // WHEN / THEN the same findings on the same logical IDs, with the same numbers, and the same retry paths
    expect(raw.findings.map(f => key(f, raw.stack)).sort()).toEqual(processed.findings.map(f => key(f, processed.stack)).sort());
    expect(paths(raw)).toEqual(paths(processed));
    expect(raw.resources).toBe(processed.resources);
    expect(rawCode).toBe(processedCode);
    expect(raw.uncheckedLogicalIds).toEqual([]);
  });

  test('the fixtures exercise the rules the issue is about, so that the comparison above is not empty', () => {
    // GIVEN every fixture's findings on its processed twin
    const rules = new Set([...results.values()].flatMap(r => r.processed.findings.map(f => f.rule)));
    // THEN
    expect([...rules].sort()).toEqual(expect.arrayContaining([
      'Resilience-EventBridge1', 'Resilience-EventBridge2', 'Resilience-Lambda1', 'Resilience-RetryBudget1', 'Resilience-SNS1',
      'Resilience-SQS1', 'Resilience-SQS2', 'Resilience-SQS3', 'Resilience-SQS4', 'Resilience-StepFunctions1', 'Resilience-Stream1',
    ]));
    expect([...results.values()].reduce((n, r) => n + r.processed.retryPaths.length, 0)).toBeGreaterThan(10);
  });

  test('a finding on a generated resource names the SAM resource and the event that generate it', () => {
    // GIVEN a function whose Kinesis event has no on-failure destination
    const { raw } = results.get('streams')!;
    // WHEN
    const finding = raw.findings.find(f => f.rule === 'Resilience-Stream1' && f.logicalId === 'ClickCounterClickStream');
    // THEN the logical ID is the translator's, and the SAM resource and event are in their own fields
    expect(finding).toMatchObject({ logicalId: 'ClickCounterClickStream', samResource: 'ClickCounter', samEvent: 'ClickStream' });
    expect(raw.transforms).toEqual(['AWS::Serverless-2016-10-31']);
  });

  test('text and markdown name the SAM resource and event too; no note tells the user to fetch the processed template', () => {
    // GIVEN
    const template = rawTemplateFile('streams');
    // WHEN
    const text = run('check', template);
    const markdown = run('check', '--format', 'markdown', template);
    // THEN
    expect(text.err).toBe('');
    expect(text.out).toContain(`streams (${template}): 13 resources (after AWS::Serverless-2016-10-31)`);
    expect(text.out).toContain('ERROR   Resilience-Stream1  ClickCounterClickStream [SAM ClickCounter, event ClickStream]');
    expect(markdown.out).toContain('| error | Resilience-Stream1 | `ClickCounterClickStream` (SAM `ClickCounter`, event `ClickStream`) |');
  });

  test('a state machine definition in a file next to the template is read; one in S3 is not, and the output says so', () => {
    // GIVEN a state machine whose DefinitionUri names retrying-flow.asl.json, and one whose DefinitionUri is in S3
    const template = rawTemplateFile('state-machine');
    // WHEN
    const { templates } = jsonRun(template);
    const text = run('check', template).out;
    // THEN the file's Retry covers its task (no StepFunctions1 on RetryingFlow), and the S3 definition is named
    expect(templates[0].findings.filter(f => f.rule === 'Resilience-StepFunctions1').map(f => f.logicalId)).toEqual(['FulfilmentFlow']);
    expect(templates[0].notes).toEqual([expect.stringMatching(/^PackagedFlow: the state machine's definition is in S3 \(s3:\/\/artifacts-bucket\/flows\/packaged.asl.json\), which is not read/)]);
    expect(text).toContain('  note: PackagedFlow: the state machine\'s definition is in S3');
    expect(run('check', '--format', 'markdown', template).out).toContain('- Note: PackagedFlow: the state machine\'s definition is in S3');
  });

  test('a DefinitionUri that names a file that is not there leaves the state machine unchecked, and says so', () => {
    // GIVEN
    const template = file('missing-definition.yaml', [
      'Transform: AWS::Serverless-2016-10-31',
      'Resources:',
      '  Flow:',
      '    Type: AWS::Serverless::StateMachine',
      '    Properties:',
      '      DefinitionUri: statemachine/flow.asl.json',
    ].join('\n'));
    // WHEN
    const { code, templates } = jsonRun('--fail-on-warnings', template);
    // THEN
    expect(code).toBe(EXIT.FINDINGS);
    expect(templates[0].uncheckedLogicalIds).toEqual(['Flow']);
    expect(templates[0].findings.find(f => f.rule === UNCHECKED_TRANSFORM_RULE)?.message)
      .toMatch(/Flow \(AWS::Serverless::StateMachine DefinitionUri 'statemachine\/flow.asl.json' \(cannot read '.*statemachine\/flow.asl.json': no such file/);
  });

  test('what the SAM expansion does not read is a warning in every format, so --fail-on-warnings fails', () => {
    // GIVEN a SAM resource type and a function event type that the command does not expand, next to a consumer
    const template = file('partly.yaml', [
      'Transform: AWS::Serverless-2016-10-31',
      'Resources:',
      '  Graph:',
      '    Type: AWS::Serverless::GraphQLApi',
      '    Properties:',
      '      SchemaInline: "type Query { a: String }"',
      '      Auth:',
      '        Type: AWS_IAM',
      '  Handler:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      '      Runtime: nodejs22.x',
      '      Handler: index.handler',
      '      InlineCode: "exports.handler = async () => {}"',
      '      Events:',
      '        Mail:',
      '          Type: SES',
      '        Queue:',
      '          Type: SQS',
      '          Properties:',
      '            Queue: !GetAtt Orders.Arn',
      '  Orders:',
      '    Type: AWS::SQS::Queue',
    ].join('\n'));
    // WHEN
    const lenient = jsonRun(template);
    const strict = jsonRun('--fail-on-warnings', template);
    const text = run('check', template).out;
    const markdown = run('check', '--format', 'markdown', template).out;
    // THEN the consumer is still checked, and the two parts are named
    const finding = lenient.templates[0].findings.find(f => f.rule === UNCHECKED_TRANSFORM_RULE)!;
    expect(finding).toMatchObject({ level: 'warning', transform: 'AWS::Serverless-2016-10-31', uncheckedLogicalIds: ['Graph', 'Handler'] });
    expect(finding.message).toContain('Graph (AWS::Serverless::GraphQLApi); Handler event Mail (AWS::Serverless::Function event of type "SES")');
    expect(lenient.templates[0].uncheckedLogicalIds).toEqual(['Graph', 'Handler']);
    expect(lenient.templates[0].findings.map(f => `${f.rule} ${f.logicalId}`)).toContain('Resilience-SQS1 Orders');
    expect(strict.code).toBe(EXIT.FINDINGS);
    expect(text).toContain(`WARNING ${UNCHECKED_TRANSFORM_RULE}  AWS::Serverless-2016-10-31\n          The transform AWS::Serverless-2016-10-31 is not expanded for Graph`);
    expect(markdown).toContain(`| warning | ${UNCHECKED_TRANSFORM_RULE} | \`AWS::Serverless-2016-10-31\` | The transform AWS::Serverless-2016-10-31 is not expanded for Graph`);
  });

  test('a transform the command cannot expand is a warning that names it; the plain resources are still checked', () => {
    // GIVEN a macro next to SAM, and a consumer without redrive
    const template = file('macro.json', JSON.stringify({ ...consumerTemplate({ queue: { RedrivePolicy: undefined } }), Transform: ['ShopMacro', 'AWS::Serverless-2016-10-31'] }));
    // WHEN
    const { code, templates } = jsonRun(template);
    // THEN
    expect(code).toBe(EXIT.FINDINGS);
    expect(templates[0].transforms).toEqual(['ShopMacro', 'AWS::Serverless-2016-10-31']);
    const macro = templates[0].findings.find(f => f.transform === 'ShopMacro');
    expect(macro).toMatchObject({ rule: UNCHECKED_TRANSFORM_RULE, level: 'warning' });
    expect(macro?.message).toContain('The transform ShopMacro is not expanded for what the transform adds to or changes in the template');
    expect(templates[0].findings.map(f => `${f.rule} ${f.logicalId}`)).toContain('Resilience-SQS1 Orders');
  });

  test('the README\'s SAM example is what the command prints on the queue consumer fixture', () => {
    // GIVEN the fixture as the README names it, and the README's text block under "### AWS SAM templates"
    const template = path.join(fs.mkdtempSync(path.join(work, 'readme-')), 'template.yaml');
    fs.copyFileSync(rawTemplateFile('queue-consumer'), template);
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### AWS SAM templates'));
    const block = /```text\n([\s\S]*?)```/.exec(section)![1];
    // WHEN
    const { out } = run('check', template);
    // THEN every line the README shows in full is printed (the README shortens long ones with '(...)')
    const shown = block.split('\n').filter(line => line.trim() !== '' && !line.includes('(...)'));
    expect(shown.length).toBeGreaterThan(8);
    for (const line of shown) expect(out.replace(template, 'template.yaml')).toContain(line);
  });

  test('every fixture is read whole: no fixture leaves a resource unchecked', () => {
    // GIVEN the fixtures (every feature the command reads)
    // WHEN / THEN
    for (const name of SAM_FIXTURES) expect([name, results.get(name)!.raw.uncheckedLogicalIds]).toEqual([name, []]);
    expect(fs.existsSync(path.join(SAM_FIXTURES_DIR, 'regenerate.py'))).toBe(true);
  });
});
