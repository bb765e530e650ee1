// `node --import ./test/support/record-imports.mjs …` with RECORD_IMPORTS=FILE: every module
// the process resolves is appended to FILE (one URL a line), for the lazy-startup tests.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url, { data: { out: process.env.RECORD_IMPORTS } });
