#!/usr/bin/env node
// The `keywarden` command. Keywarden is written in TypeScript; tsx compiles it on the fly so `npx keywarden`
// works right after `npm install`, with no build step. (Lambda bundles are built with esbuild instead.)
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
