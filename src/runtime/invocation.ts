import { withLogContext } from '../util/log-context.js';

let cold = true;

/** What is published once an invocation ends: the metrics it stored (see EmfMetrics). */
export interface InvocationMetrics {
  publish(): void;
}

type LambdaContext = { awsRequestId?: string } | undefined;

/**
 * One Lambda invocation: every log line inside carries the request id and whether this container was cold (its
 * first invocation), as Powertools' logger would add them. The metrics stored during it, when given, are published
 * when it ends, whether it succeeded or threw.
 */
export function invocation<T>(context: LambdaContext, fn: () => Promise<T>): Promise<T>;
export function invocation<T>(
  context: LambdaContext,
  metrics: InvocationMetrics,
  fn: () => Promise<T>,
): Promise<T>;
export async function invocation<T>(
  context: LambdaContext,
  ...rest: [() => Promise<T>] | [InvocationMetrics, () => Promise<T>]
): Promise<T> {
  const [metrics, fn] = rest.length === 1 ? [undefined, rest[0]] : rest;
  const coldStart = cold;
  cold = false;
  try {
    return await withLogContext({ requestId: context?.awsRequestId, coldStart }, fn);
  } finally {
    metrics?.publish();
  }
}
