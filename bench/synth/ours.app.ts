/** Ours: `n` `QueueDecoupledFunction`s with their defaults, from the compiled library (lib/). */
import { functionProps, synthApp } from './harness';
import type * as library from '../../src';

// The compiled library, as users get it; typed by its source.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { QueueDecoupledFunction } = require('../../lib') as typeof library;

synthApp((stack, id) => {
  new QueueDecoupledFunction(stack, id, { functionProps: functionProps() });
});
