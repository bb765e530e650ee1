// A bench's guard after every gdb run or kill: its target must never stay stopped. One found in
// group-stop with no tracer is resumed (SIGCONT) and counted, and the report says how often.
import { resumeIfStopped } from '../../bridge/access/watchdog.ts';
import { note } from './report.ts';

let count = 0;

/** Resumes `pid` if it was left stopped, with a warning on stderr. */
export function checkRunning(pid: number): void {
  if (resumeIfStopped(pid) === 'resumed') {
    count++;
    note(`WARNING: memhog ${pid} was left stopped (State T, no tracer); sent SIGCONT`);
  }
}

/** The same without the warning (at cleanup, when the run is over anyway). */
export function resumeLeftStopped(pid: number): void {
  if (resumeIfStopped(pid) === 'resumed') count++;
}

/** How often a target was found stopped and resumed in this process. */
export function timesLeftStopped(): number {
  return count;
}
