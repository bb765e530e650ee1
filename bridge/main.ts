// mstat-bridge entry point. The WebSocket/Prometheus service arrives with the bridge issue;
// until then this prints usage and exits non-zero for anything but --help.
const USAGE = `usage: mstat-bridge [--listen HOST:PORT] [--token TOKEN] [--log-level LEVEL]

The long-running bridge (WebSocket /v1/ws, /metrics, dashboard) is not implemented yet.
For a one-shot reading see: mstat --help`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
console.error(USAGE);
process.exit(2);
