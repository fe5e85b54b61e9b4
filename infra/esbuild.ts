import { createRequire } from 'node:module';
import type { BuildOptions } from 'esbuild';

/** Typed access to infra/esbuild.config.cjs, the one definition of the Lambda bundles (see that file). */
const config = createRequire(import.meta.url)('./esbuild.config.cjs') as {
  lambdaBuildOptions: BuildOptions;
  LAMBDA_ENTRIES: Record<'slack-events' | 'worker' | 'digest', string>;
};

export const lambdaBuildOptions: BuildOptions = config.lambdaBuildOptions;
export const LAMBDA_ENTRIES = config.LAMBDA_ENTRIES;
