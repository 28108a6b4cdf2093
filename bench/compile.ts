import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');

/**
 * Compiles the library into lib/ with the project's compile task, so that lib/
 * is src/ as it is now: benchmarks measure what users get, never a bare jsii
 * or tsc call that skips the project's own compile steps.
 */
export function compile(): void {
  console.error('compiling the library (npx projen compile)...');
  const result = spawnSync('npx', ['projen', 'compile'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1',
      // Once the Node.js major is past its end of life, jsii reads this one instead.
      JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: process.versions.node.split('.')[0],
    },
  });
  if (result.status !== 0) {
    throw new Error(`npx projen compile failed with exit code ${result.status}:\n${result.stdout}${result.stderr}`);
  }
}
