#!/usr/bin/env node
// The `keywarden` command. Keywarden is written in TypeScript; tsx compiles it on the fly so `npx keywarden`
// works right after `npm install`, with no build step. (Lambda bundles are built with esbuild instead.)
import { register } from 'tsx/esm/api';

// Local runs are on Node 20; the AWS SDK's notice about Node 22 is for Lambda, which runs nodejs22.x.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('../src/cli/main.ts');
