// The worker's error responses for failed loads: the code (and status) of the failure travel with the words.
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/checkpoints/hub';
import { LoadError } from '../../../src/shared/errors';
import { installFailed, loadFailed } from '../../../src/worker/errors';

describe('worker load errors', () => {
  it('copy a LoadError’s code and status into the response', () => {
    expect(loadFailed(7, new LoadError('the server answered 503 Busy for x', 'server', 503)))
      .toEqual({ type: 'error', id: 7, message: 'the server answered 503 Busy for x', fatal: false, code: 'server', status: 503 });
    expect(loadFailed(8, new NotFoundError('https://x/config.json')))
      .toEqual({ type: 'error', id: 8, message: 'not found: https://x/config.json', fatal: false, code: 'not-found' });
    expect(loadFailed(9, new LoadError('tensor x appears in more than one file'))).toMatchObject({ code: 'other' });
    expect(loadFailed(10, new RangeError('Invalid array length'))).toMatchObject({ code: 'other', message: 'Invalid array length' });
  });

  it('code an install that runs out of memory as out-of-memory', () => {
    expect(installFailed(3, new Error('Failed to allocate buffer')))
      .toEqual({ type: 'error', id: 3, message: "the checkpoint does not fit in this device's memory (Failed to allocate buffer)", fatal: false, code: 'out-of-memory' });
    expect(installFailed(4, new Error('shader compilation failed'))).toEqual({ type: 'error', id: 4, message: 'shader compilation failed', fatal: false, code: 'other' });
  });
});
