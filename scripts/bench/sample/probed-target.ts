// bench-sample's target: memhog with 1 ms heartbeats stamped on arrival by a relay (so this
// process's event loop adds no delay), and the largest scheduling gap the target itself saw
// during an operation: memhog's `gap` command when the build has it, else the heartbeat stamps.
import type { FixtureBuild } from '../../kit/fixtures.ts';
import { GoTarget } from '../../kit/go-target.ts';
import { now, sleep } from '../../kit/time.ts';
import { maxHeartbeatGap } from '../heartbeats.ts';

export type GapSource = 'auto' | 'command' | 'heartbeats';

export interface Timed<T> {
  value: T;
  wallNs: number;
  /** largest gap the target saw during the operation */
  gapNs: number;
}

export class ProbedTarget {
  private constructor(
    readonly go: GoTarget,
    /** the gaps come from memhog's `gap` command (else from heartbeat stamps) */
    readonly gapCommand: boolean,
  ) {}

  /** `build.path` may be a private copy of the build. `onStart` sees the target before any check. */
  static async start(build: FixtureBuild, deadlineS: number, source: GapSource, onStart: (go: GoTarget) => void): Promise<ProbedTarget> {
    const go = await GoTarget.start(build, ['-deadline', `${deadlineS}s`, '-heartbeat', '1ms'], {}, { detached: true, stampedLines: true });
    onStart(go);
    let gapCommand = false;
    if (source !== 'heartbeats') {
      const r = await go.command('gap', 5000);
      gapCommand = r.event === 'gap' && typeof r.maxGapNs === 'number';
      if (!gapCommand && source === 'command') throw new Error(`this memhog build has no \`gap\` command (${JSON.stringify(r)})`);
    }
    return new ProbedTarget(go, gapCommand);
  }

  get pid(): number {
    return this.go.pid;
  }

  /**
   * Runs `fn` and returns its wall time and the largest scheduling gap the target itself saw
   * meanwhile: memhog's `gap` command (reset before, read after), else heartbeat arrival stamps.
   */
  async measure<T>(fn: () => Promise<T>): Promise<Timed<T>> {
    if (this.gapCommand) await this.go.command('gap');
    const t0 = now();
    const value = await fn();
    const t1 = now();
    let gapNs: number;
    if (this.gapCommand) {
      await sleep(3); // let the first tick after the operation land
      gapNs = Number((await this.go.command('gap')).maxGapNs);
    } else {
      await this.go.heartbeatAfter(t1);
      gapNs = maxHeartbeatGap(this.go.heartbeats, t0, t1);
    }
    return { value, wallNs: t1 - t0, gapNs };
  }
}
