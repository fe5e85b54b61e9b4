import { withLogContext } from '../util/log-context.js';

let cold = true;

/**
 * One Lambda invocation: every log line inside carries the request id and whether this container was cold (its
 * first invocation), as Powertools' logger would add them.
 */
export function invocation<T>(
  context: { awsRequestId?: string } | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  const coldStart = cold;
  cold = false;
  return withLogContext({ requestId: context?.awsRequestId, coldStart }, fn);
}
