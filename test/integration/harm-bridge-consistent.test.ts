// Target-harm matrix (test/support/harm.ts): the bridge sampling consistently (the target
// stopped for each read) at 10 ms.
import t from 'tap';
import { bridgeWay, runHarmMatrix } from '../support/harm.ts';

t.setTimeout(600_000);
await runHarmMatrix(t, bridgeWay('bridge-consistent', 'consistent'));
