#!/usr/bin/env node
// The `flashsale` command: runs the TypeScript entry point through tsx, so no build step
// stands between a clone and a working CLI.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
