#!/usr/bin/env node
// `npx mstat-bridge`: runs bridge/main.ts through tsx, resolved from this package.
import { register } from 'tsx/esm/api';
register();
await import('../../bridge/main.ts');
