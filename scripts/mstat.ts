// mstat: the one-shot CLI. The exact MemStats decoder arrives with the decoder issue;
// until then this prints usage and exits non-zero for anything but --help.
const USAGE = `usage: mstat --pid PID [--format json|text|pprof] [--mode live|consistent] [--exe PATH]

Prints the runtime.MemStats of a running Go process, read from outside through gdb.
(Not implemented yet: see README.md. The demo runs with: npm run demo)`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
console.error(USAGE);
process.exit(2);
