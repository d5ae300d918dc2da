#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so there is no build step between a
// checkout and a running monitor.
import { register } from 'tsx/esm/api';

register();
const { runFromProcess } = await import('../src/cli/main.ts');
await runFromProcess();
