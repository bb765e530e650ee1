#!/usr/bin/env node
// The adapter as VS Code (or DebugClient) starts it: `node clients/dap/bin.js`. Registers tsx
// resolved from this package, so it works from any working directory.
import { register } from 'tsx/esm/api';
register();
await import('./main.ts');
