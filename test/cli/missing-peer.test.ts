import { EXIT } from '../../src/cli/cdk-resilience';
import { consumerTemplate } from '../fixtures/templates';

describe('cdk-resilience check without cdk-nag', () => {
  test('names the missing peer dependency and exits 2', () => {
    // GIVEN cdk-nag cannot be loaded (mocked: the one part of the install a test cannot take away)
    const fs = jest.requireActual('fs') as typeof import('fs');
    const os = jest.requireActual('os') as typeof import('os');
    const path = jest.requireActual('path') as typeof import('path');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-resilience-peer-')), 'orders.json');
    fs.writeFileSync(file, JSON.stringify(consumerTemplate()));
    let result: { code: number; err: string } | undefined;
    jest.isolateModules(() => {
      jest.doMock('cdk-nag', () => {
        throw new Error("Cannot find module 'cdk-nag' from 'src/cli/cdk-resilience.ts'");
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { main } = require('../../src/cli/cdk-resilience') as typeof import('../../src/cli/cdk-resilience');
      let err = '';
      // WHEN
      const code = main(['check', file], { out: () => undefined, err: t => err += t });
      result = { code, err };
    });
    // THEN
    expect(result).toEqual({
      code: EXIT.USAGE,
      err: expect.stringContaining("cannot load 'cdk-nag': cdk-resilience check needs aws-cdk-lib, constructs and cdk-nag installed next to it"),
    });
  });
});
