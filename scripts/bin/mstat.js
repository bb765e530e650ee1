#!/usr/bin/env node
// `npx mstat`: runs scripts/mstat.ts through tsx, resolved from this package.
import { register } from 'tsx/esm/api';
register();
await import('../mstat.ts');
