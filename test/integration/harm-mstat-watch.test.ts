// Target-harm matrix (test/support/harm.ts): `mstat --watch` at 10 ms, a real subprocess.
import t from 'tap';
import { mstatWatchWay, runHarmMatrix } from '../support/harm.ts';

t.setTimeout(600_000);
await runHarmMatrix(t, mstatWatchWay());
