import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../src/cli/cdk-resilience';

/** What one run of the command printed, and its exit code. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `cdk-resilience` with `args` in this process. */
export function runCli(...args: string[]): CliRun {
  let out = '';
  let err = '';
  const code = main(args, { out: t => { out += t; }, err: t => { err += t; } });
  return { code, out, err };
}

/** Writes `content` (JSON unless a string) to `name` in `dir`, and returns the file's path. */
export function writeFile(dir: string, name: string, content: unknown): string {
  const target = path.join(dir, name);
  fs.writeFileSync(target, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return target;
}
