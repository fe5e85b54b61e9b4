import { describe, expect, it } from 'vitest';
import { invocation } from '../../src/runtime/invocation.js';

describe('invocation()', () => {
  it('publishes the metrics once the handler has finished, and after it threw', async () => {
    const events: string[] = [];
    const metrics = { publish: () => events.push('publish') };
    await invocation({ awsRequestId: 'r-1' }, metrics, async () => {
      events.push('handler');
      return 'ok';
    });
    await expect(
      invocation({ awsRequestId: 'r-2' }, metrics, async () => {
        events.push('failing handler');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(events).toEqual(['handler', 'publish', 'failing handler', 'publish']);
  });

  it('runs a handler that has no metrics to publish', async () => {
    expect(await invocation(undefined, async () => 42)).toBe(42);
  });
});
