/**
 * Type tests of cdk-resilience/runtime: snippets compiled by the TypeScript
 * compiler against the runtime's sources, in strict mode. A snippet that
 * must not compile is checked for the error, so these tests fail if the
 * types stop refusing it.
 */
import * as path from 'path';
import * as ts from 'typescript';

const RUNTIME = path.join(__dirname, '..', '..', 'src', 'runtime');

/** The error messages of compiling `code` (a module that imports the runtime as `runtime`). */
function compileErrors(code: string): string[] {
  const file = path.join(__dirname, '__type-test__.ts');
  const source = `import * as runtime from ${JSON.stringify(RUNTIME)};\nvoid runtime;\n${code}`;
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, skipLibCheck: true, types: ['node'] };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile;
  host.readFile = name => (path.resolve(name) === file ? source : readFile.call(host, name));
  const fileExists = host.fileExists;
  host.fileExists = name => path.resolve(name) === file || fileExists.call(host, name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file))
    .map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('CircuitBreaker types', () => {
  test('a fallback whose result fire<T>() can return compiles', () => {
    expect(compileErrors(`
      type Result = { status: 'PAID' } | { status: 'DEFERRED'; retryAfter?: Date };
      const breaker = new runtime.CircuitBreaker<Result>({ circuitId: 'payments', tableName: 't',
        fallback: (error) => ({ status: 'DEFERRED', retryAfter: error.retryAfter }) });
      export const paid: Promise<Result> = breaker.fire<Result>(async () => ({ status: 'PAID' }));
      const plain = new runtime.CircuitBreaker({ circuitId: 'payments', tableName: 't' });
      export const n: Promise<number> = plain.fire(() => 1);
      const async = new runtime.CircuitBreaker({ circuitId: 'payments', tableName: 't', fallback: async () => 0 });
      export const m: Promise<number> = async.fire(async () => 42);
    `)).toEqual([]);
  });

  test('a fallback that returns a string does not compile where fire<number>() is expected', () => {
    const errors = compileErrors(`
      const breaker = new runtime.CircuitBreaker({ circuitId: 'payments', tableName: 't', fallback: () => 'try later' });
      export const n = breaker.fire<number>(async () => 42);
    `);
    expect(errors).toEqual([expect.stringMatching(/The 'this' context of type 'CircuitBreaker<string>' is not assignable to method's 'this' of type 'CircuitBreaker<number>'/)]);
  });

  test('nor where the operation returns a number and fire() infers it', () => {
    const errors = compileErrors(`
      const breaker = new runtime.CircuitBreaker({ circuitId: 'payments', tableName: 't', fallback: () => 'try later' });
      export const n = breaker.fire(async () => 42);
    `);
    expect(errors).toHaveLength(1);
  });
});
