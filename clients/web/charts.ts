// One uPlot chart fed point by point: keeps a bounded window of points, redraws at most once
// per animation frame, and mirrors its point count into data-points for tests and tools.
import uPlot from 'uplot';
import type { ChartModel, Unit } from './model.ts';
import { bytesNum, countNum, nsNum } from './format.ts';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b'];

function formatter(unit: Unit): (n: number | null) => string {
  switch (unit) {
    case 'bytes':
      return bytesNum;
    case 'bytes/s':
      return (n) => (n === null ? '–' : `${bytesNum(n)}/s`);
    case 'per-s':
      return (n) => (n === null ? '–' : `${countNum(n)}/s`);
    case 'ns':
      return nsNum;
  }
}

export class Chart {
  private readonly plot: uPlot;
  private readonly data: Array<Array<number | null>>;
  private total = 0;
  private frame = 0;
  /** series on a log scale: non-positive values cannot be drawn */
  private readonly log: boolean[];

  constructor(
    private readonly el: HTMLElement,
    model: ChartModel,
    private readonly maxPoints: number,
  ) {
    const left = model.series.find((s) => !s.right) ?? model.series[0]!;
    const right = model.series.find((s) => s.right);
    const axis = (unit: Unit, side: 1 | 3): uPlot.Axis => ({
      scale: unit,
      side,
      size: 80,
      values: (_u, splits) => splits.map((v) => formatter(unit)(v)),
      ...(side === 1 ? { grid: { show: false } } : {}),
    });
    const opts: uPlot.Options = {
      width: this.width(),
      height: 220,
      series: [
        {},
        ...model.series.map((s, i): uPlot.Series => ({
          label: s.label,
          scale: s.unit,
          stroke: COLORS[i % COLORS.length]!,
          width: 1.5,
          value: (_u, v) => formatter(s.unit)(v),
          ...(s.points ? { paths: () => null, points: { show: true, size: 6, fill: COLORS[i % COLORS.length]! } } : {}),
        })),
      ],
      // Byte and rate scales start at zero, so a flat line reads as a level, not as noise;
      // durations (GC pauses: µs to ms) are logarithmic.
      scales: Object.fromEntries(
        model.series.map((s) => [s.unit, s.unit === 'ns' ? { distr: 3 as const } : { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, max > 0 ? max * 1.1 : 1] }]),
      ),
      axes: [{}, axis(left.unit, 3), ...(right ? [axis(right.unit, 1)] : [])],
      legend: { live: true },
      // Without the pointer over the chart, the legend shows the newest values.
      hooks: { setCursor: [(u) => this.legendLatest(u)] },
    };
    this.log = model.series.map((s) => s.unit === 'ns');
    this.data = [[], ...model.series.map(() => [])];
    this.plot = new uPlot(opts, this.data as uPlot.AlignedData, el);
    el.dataset.points = '0';
  }

  private width(): number {
    return Math.max(300, this.el.clientWidth || 600);
  }

  /** Appends one point (x in seconds); points must arrive in x order. */
  push(x: number, ys: ReadonlyArray<number | null>): void {
    const last = this.data[0]!.at(-1);
    if (last !== undefined && last !== null && x < last) return; // uPlot needs ascending x
    this.data[0]!.push(x);
    for (let i = 1; i < this.data.length; i++) {
      const y = ys[i - 1] ?? null;
      this.data[i]!.push(this.log[i - 1] && y !== null && y <= 0 ? null : y);
    }
    if (this.data[0]!.length > this.maxPoints) for (const col of this.data) col.shift();
    this.total++;
    this.schedule();
  }

  /** Forgets every point (another target). */
  reset(): void {
    for (const col of this.data) col.length = 0;
    this.total = 0;
    this.schedule();
  }

  get points(): number {
    return this.total;
  }

  /** The newest point: [x, ...ys] (empty before the first). */
  get last(): Array<number | null> {
    return this.data[0]!.length ? this.data.map((col) => col.at(-1) ?? null) : [];
  }

  resize(): void {
    this.plot.setSize({ width: this.width(), height: 220 });
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.plot.setData(this.data as uPlot.AlignedData);
      this.legendLatest(this.plot);
      this.el.dataset.points = String(this.total);
    });
  }

  private legendLatest(u: uPlot): void {
    const n = this.data[0]!.length;
    if (u.cursor.idx == null && n > 0) u.setLegend({ idx: n - 1 }, false);
  }
}
