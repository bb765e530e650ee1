// zod compiles fast object parsers with `new Function` after probing whether eval works; the
// page's Content-Security-Policy forbids eval, and even the caught probe is reported as a CSP
// violation. main.ts imports this module first, so the setting precedes every schema.
import { z } from 'zod';

z.config({ jitless: true });
