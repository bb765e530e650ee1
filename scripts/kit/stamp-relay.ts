// A small perl relay that runs a program with its stdout on a pipe and passes each line on,
// prefixed with the CLOCK_MONOTONIC ns at which it arrived: arrival times that the reader's
// own event loop cannot delay. The program's stdin is perl's (closing it ends both).
//   P <pid>        first: the program's pid
//   <ns> <line>    each line of the program's stdout
//   X <status>     last: its wait status
const RELAY = `
use strict; use warnings;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
$| = 1;
my $pid = open(my $in, '-|', @ARGV);
defined $pid or die "stamp relay: cannot start $ARGV[0]: $!\\n";
print "P $pid\\n";
while (defined(my $line = <$in>)) {
  print sprintf('%.0f', clock_gettime(CLOCK_MONOTONIC) * 1e9), ' ', $line;
}
close $in;
print "X $?\\n";
`;

/** The argv that runs `argv` behind the relay. */
export function stampRelayArgv(argv: string[]): string[] {
  return ['perl', '-e', RELAY, ...argv];
}

export type RelayLine = { kind: 'pid'; pid: number } | { kind: 'line'; at: number; text: string } | { kind: 'exit' };

export function parseRelayLine(line: string): RelayLine {
  if (line.startsWith('P ')) return { kind: 'pid', pid: Number(line.slice(2)) };
  if (line.startsWith('X ')) return { kind: 'exit' };
  const sp = line.indexOf(' ');
  return { kind: 'line', at: Number(line.slice(0, sp)), text: line.slice(sp + 1) };
}
