/**
 * What `cdk-resilience check` prints: its results as text (for people at a
 * terminal), JSON (for CI) or Markdown (for a pull-request comment). A finding
 * on a resource of an AWS SAM template names the SAM resource and event that
 * generate it; what a transform left unchecked and what could not be read are
 * said in every format.
 */
import type { CliFinding, CliTemplateResult, CliUnreadable, Format } from './cdk-resilience';
import type { RetryBudgetReport } from '../checks/retry-budget';

/**
 * The results in `format`; `failing` says whether a finding fails the run; `unreadable` lists the inputs that
 * could not be read (the command also writes each to stderr).
 */
export function render(results: CliTemplateResult[], format: Format, threshold: number, failing: boolean, unreadable: CliUnreadable[] = []): string {
  const errors = results.reduce((n, r) => n + r.findings.filter(f => f.level === 'error').length, 0);
  const warnings = results.reduce((n, r) => n + r.findings.filter(f => f.level === 'warning').length, 0);
  const unread = unreadable.length > 0 ? `; ${unreadable.length} input(s) not read` : '';
  const summary = `${errors} error(s), ${warnings} warning(s) in ${results.length} template(s)${unread}`;
  if (format === 'json') {
    return JSON.stringify({ success: !failing && unreadable.length === 0, errors, warnings, retryBudgetThreshold: threshold, templates: results, unreadable }, null, 2) + '\n';
  }
  const lines: string[] = [];
  if (format === 'markdown') {
    for (const result of results) {
      lines.push(`## ${result.stack}`, '', `\`${result.file}\`: ${result.resources} resources${transformed(result)}, ${result.findings.length} finding(s).`, '');
      if (result.findings.length > 0) {
        lines.push('| Level | Rule | Resource | Finding |', '|---|---|---|---|');
        for (const f of result.findings) {
          const resource = f.transform && !f.logicalId ? `\`${f.transform}\`` : f.path ? `\`${f.logicalId}\` (\`${f.path}\`)` : `\`${f.logicalId}\``;
          const sam = samSource(f);
          lines.push(`| ${f.level} | ${f.rule} | ${cell(resource + (sam ? ` (SAM \`${f.samResource}\`${f.samEvent ? `, event \`${f.samEvent}\`` : ''})` : ''))} | ${cell(f.message)} |`);
        }
        lines.push('');
      }
      for (const note of result.notes ?? []) lines.push(`- Note: ${note}`);
      if ((result.notes ?? []).length > 0) lines.push('');
      lines.push(`Retry budget (threshold ${threshold}):`, '', budgetReport(result).toMarkdown());
    }
    for (const { input, error } of unreadable) lines.push(`- Not read: \`${input}\`: ${cell(error)}`);
    if (unreadable.length > 0) lines.push('');
    lines.push(`**${summary}**`, '');
    return lines.join('\n');
  }
  for (const result of results) {
    lines.push(`${result.stack} (${result.file}): ${result.resources} resources${transformed(result)}`);
    for (const f of result.findings) {
      const sam = samSource(f) ? ` [SAM ${f.samResource}${f.samEvent ? `, event ${f.samEvent}` : ''}]` : '';
      lines.push(`  ${f.level.toUpperCase().padEnd(7)} ${f.rule}  ${f.logicalId ?? f.transform ?? ''}${f.path ? ` (${f.path})` : ''}${sam}`);
      lines.push(`          ${f.message}`);
    }
    if (result.findings.length === 0) lines.push('  no findings');
    for (const note of result.notes ?? []) lines.push(`  note: ${note}`);
    lines.push(`  Retry paths (worst-case invocations of the last hop per event; threshold ${threshold}):`);
    for (const p of result.retryPaths) {
      const hops = p.hops.map((hop, i) => `${hop}${p.attempts[i] > 1 ? ` ×${p.attempts[i]}` : ''}`).join(' → ');
      const count = `${p.countUnknown ? '≥' : ''}${p.worstCaseInvocations}`.padStart(6);
      const unknown = p.countUnknown ? ' (a hop\'s attempts are left to deployment)' : '';
      lines.push(`  ${count}${p.cyclic ? ` per trip (${p.certainLoop ? 'certain' : 'possible'} loop)` : ''}${unknown}  ${hops}`);
    }
    if (result.retryPaths.length === 0) lines.push('  (no path)');
    for (const first of result.retryPathsIncomplete) {
      lines.push(`       …  ${first} → … (not every path listed: the listing stops at ${pathLimit()} paths from one resource)`);
    }
    lines.push('');
  }
  lines.push(summary, '');
  return lines.join('\n');
}

/** Whether the finding's SAM resource says more than its logical ID: the resource was generated, or by an event. */
function samSource(f: CliFinding): boolean {
  return f.samResource !== undefined && (f.samResource !== f.logicalId || f.samEvent !== undefined);
}

function transformed(result: CliTemplateResult): string {
  return result.transforms && result.transforms.length > 0 ? ` (after ${result.transforms.join(', ')})` : '';
}

/** `RetryBudgetReport.PATH_LIMIT`, as people read it. */
function pathLimit(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../checks/retry-budget') as typeof import('../checks/retry-budget')).RetryBudgetReport.PATH_LIMIT.toLocaleString('en-US');
}

function budgetReport(result: CliTemplateResult): RetryBudgetReport {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { RetryBudgetReport: Report } = require('../checks/retry-budget') as typeof import('../checks/retry-budget');
  return new Report(result.retryPaths, result.retryPathsIncomplete);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
