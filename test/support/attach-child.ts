// A Node process that attaches gdb to a target and then dies in the way argv[3] says,
// so tests can prove no gdb outlives its parent and the target is left running.
import { silentLogger } from '../../bridge/log.ts';
import { attachInBackground } from '../../bridge/mi/commands/target.ts';
import { openGdb } from '../../bridge/mi/open.ts';
import { execInterruptAll } from '../../bridge/mi/commands/exec.ts';

const pid = Number(process.argv[2]);
const mode = process.argv[3] as 'wait' | 'uncaught' | 'exit' | 'rejection' | 'stopped' | 'wedged';
const gdb = await openGdb({ log: silentLogger() });
await attachInBackground(gdb, pid);
if (mode === 'stopped') {
  // Every thread stopped, as during a consistent-mode read.
  await execInterruptAll(gdb);
  await new Promise((r) => setTimeout(r, 300));
}
// A gdb that answers nothing and acts on no signal but SIGKILL (as one hung in an attach).
if (mode === 'wedged') process.kill(gdb.pid, 'SIGSTOP');
process.stdout.write(JSON.stringify({ gdbPid: gdb.pid }) + '\n');
switch (mode) {
  case 'uncaught':
    setTimeout(() => {
      throw new Error('boom (deliberate uncaught exception)');
    }, 50);
    break;
  case 'rejection':
    setTimeout(() => void Promise.reject(new Error('boom (deliberate unhandled rejection)')), 50);
    break;
  case 'exit':
    setTimeout(() => process.exit(0), 50);
    break;
  case 'stopped':
  case 'wedged':
  case 'wait':
    // Stays alive until a test signals it (SIGTERM, SIGINT or SIGKILL).
    setInterval(() => undefined, 1000);
    break;
}
