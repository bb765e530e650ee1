// One target's section of bench-sample's report: the operations table, the target-side pauses
// against the tool's own figures and against no gdb at all, and the notes.
import { basename } from 'node:path';
import { bytes, maxOf, median, ms, p95, print, ratio, table } from '../report.ts';
import type { LiveStats, Result, Series } from './result.ts';

export function report(r: Result): void {
  const base = median(r.classic.wall);
  const baseGap = median(r.classic.gap);
  const fails = (s: Series): string => (s.failures.length ? ` ⚠ ${s.failures.length}/${s.wall.length} failed` : '');
  const row = (name: string, s: Series, extra: string): string[] => [
    name + fails(s),
    ms(median(s.wall)),
    ms(p95(s.wall)),
    ratio(median(s.wall), base),
    s.gap.length ? `${ms(median(s.gap))} / ${ms(maxOf(s.gap))}` : '–',
    ratio(median(s.gap), baseGap),
    `${s.wall.length}`,
    extra,
  ];
  const io = (s: LiveStats): string => `${median(s.reads)} reads, ${bytes(median(s.bytes))}`;

  print(`### ${basename(r.build.path)}: ${r.goVersion || r.build.goVersion}, ${r.build.variant} build, ${bytes(r.size)}`);
  print();
  print(
    'Wall time per operation; ratio = median ÷ median of the classic row. Target-side max pause = the largest gap between the ' +
      `target's own 1 ms ticks during the operation (median / max over runs; from ${r.gapSource}); its ratio is against the classic row's median.`,
  );
  print();
  print(
    table(
      ['operation', 'median', 'p95', 'ratio vs classic', 'target-side max pause (median / max)', 'pause vs classic', 'runs', 'notes (median)'],
      [
        row('mstat-bridge live sample (attached, target allocating)', r.liveRunning, io(r.liveRunning)),
        row('mstat-bridge live sample (attached, target paused/quiet)', r.livePaused, io(r.livePaused)),
        row('mstat-bridge consistent sample', r.consistent, io(r.consistent)),
        row('cold open+first sample', r.cold, `layout resolved with ${median(r.coldCommands)} MI commands`),
        row('warm open+first sample', r.warm, 'layout from the cache'),
        row('mstat CLI process (warm)', r.cli, '`npx tsx clients/cli/mstat.ts --pid P`'),
        row('classic gdb -batch + Python (whole process)', r.classic, 'all-stop attach, dump, detach'),
      ],
    ),
  );
  print();

  print('Target-side pause vs what the tool reports (`meta.pauseNs`), and vs the same target with no gdb attached (same number of windows, same length):');
  print();
  const pr = (name: string, s: Series, tool: number[] | undefined, idle: Series | undefined): string[] => [
    name,
    tool ? `${ms(median(tool))} / ${ms(p95(tool))}` : '–',
    `${ms(median(s.gap))} / ${ms(p95(s.gap))} / ${ms(maxOf(s.gap))}`,
    tool && median(tool) > 0 ? ratio(median(s.gap), median(tool)) : '–',
    idle ? `${ratio(median(s.gap), median(idle.gap))} / ${ratio(maxOf(s.gap), maxOf(idle.gap))}` : '–',
    ms(median(s.wall)),
    `${s.gap.length}`,
  ];
  print(
    table(
      ['scenario', 'meta.pauseNs median / p95', 'target max gap median / p95 / max', 'gap ÷ pauseNs', 'gap vs no-gdb (median / max)', 'window', 'windows'],
      [
        pr('no gdb attached, allocating (baseline for live)', r.idleRunning, undefined, undefined),
        pr('live samples, allocating', r.liveRunning, r.liveRunning.pauseNs, r.idleRunning),
        pr('no gdb attached, quiet (baseline for live, quiet)', r.idlePaused, undefined, undefined),
        pr('live samples, quiet', r.livePaused, r.livePaused.pauseNs, r.idlePaused),
        pr('no gdb attached, allocating (baseline for consistent)', r.idleConsistent, undefined, undefined),
        pr('consistent samples, allocating', r.consistent, r.consistent.pauseNs, r.idleConsistent),
        pr('no gdb attached, allocating (baseline for classic)', r.idleLong, undefined, undefined),
        pr('classic gdb -batch + Python (all-stop)', r.classic, undefined, r.idleLong),
      ],
    ),
  );
  print();
  const lr = r.liveRunning;
  const lp = r.livePaused;
  const c = r.consistent;
  print(
    `- live samples: meta.readNs median ${ms(median(lr.readNs))} allocating, ${ms(median(lp.readNs))} quiet; retried after a torn read ` +
      `${lr.retried}/${lr.wall.length} allocating, ${lp.retried}/${lp.wall.length} quiet; still torn after 5 attempts: ${lr.torn} and ${lp.torn}.`,
  );
  print(`- consistent samples: retried ${c.retried}/${c.wall.length}, still torn ${c.torn}.`);
  const fields = [...r.classicOutput.matchAll(/^(\w+) = /gm)].map((m) => m[1]);
  if (fields.length) print(`- the classic script printed ${fields.length} fields of runtime.memstats: ${fields.join(', ')}.`);
  for (const [name, s] of [['live', lr], ['live quiet', lp], ['consistent', c], ['cold', r.cold], ['warm', r.warm], ['CLI', r.cli], ['classic', r.classic]] as const) {
    for (const f of new Set(s.failures)) print(`- ⚠ ${name}: ${f}`);
  }
  print(`- this section took ${r.seconds.toFixed(0)} s.`);
  print();
}
