// The dashboard's entry: reads the page URL (?pid=, ?token=, ?interval=, ?mode=), connects
// the typed client (which reconnects and resubscribes by itself), and feeds samples to the
// charts and the view. Protocol knowledge stays here and in model.ts.
import './no-eval.ts'; // first: before any zod schema is built
import { BridgeClient, BridgeClientError, type ConnectionState, type Subscription } from '../shared/bridge-client.ts';
import { MAX_INTERVAL_MS, MIN_INTERVAL_MS, type SampleMode } from '../../protocol/client-messages.ts';
import type { SampleMessage } from '../../protocol/server-messages.ts';
import { WS_PATH } from '../../protocol/version.ts';
import { Chart } from './charts.ts';
import { CHARTS, bySizeRows, fieldRows, metaRows, newPauses, samplePoints, sampleTime, targetOptions, targetTitle, type ChartId, type TimeChartId } from './model.ts';
import { DashboardView } from './view.ts';

/** Read-only state for tests and for poking at the page from the console. */
interface DebugHook {
  state: ConnectionState;
  pid: number | null;
  samples: number;
  lastSeq: number;
  targets: number;
  errors: string[];
  readonly points: Record<ChartId, number>;
  /** each chart's newest point, [x, ...ys] */
  readonly last: Record<ChartId, Array<number | null>>;
}
declare global {
  interface Window {
    __mstatDashboard: DebugHook;
  }
}

const params = new URLSearchParams(location.search);
const token = params.get('token') ?? undefined;
const urlPid = params.has('pid') ? Number(params.get('pid')) : undefined;
let intervalMs = Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, Number(params.get('interval')) || 1000));
let mode: SampleMode = params.get('mode') === 'consistent' ? 'consistent' : 'live';

const view = new DashboardView(document);
const charts = new Map<ChartId, Chart>(CHARTS.map((c) => [c.id, new Chart(view.chartElement(c.id), c, c.id === 'pauses' ? 1024 : 1200)]));
addEventListener('resize', () => charts.forEach((c) => c.resize()));
view.setOptions(intervalMs, mode);

const debug: DebugHook = {
  state: 'connecting',
  pid: null,
  samples: 0,
  lastSeq: 0,
  targets: 0,
  errors: [],
  get points() {
    return Object.fromEntries([...charts].map(([id, c]) => [id, c.points])) as Record<ChartId, number>;
  },
  get last() {
    return Object.fromEntries([...charts].map(([id, c]) => [id, c.last])) as Record<ChartId, Array<number | null>>;
  },
};
window.__mstatDashboard = debug;

interface Current {
  sub: Subscription;
  pid: number;
  /** NumGC of the previous sample: which PauseNs entries are new */
  prevNumGC?: number;
  latest?: SampleMessage;
}
let current: Current | undefined;
let client: BridgeClient | undefined;
let everOpen = false;
let frame = 0;

function showError(code: string, message: string): void {
  const text = `${code}: ${message}`;
  debug.errors.push(text);
  view.showMessage('error', `Error ${text}`);
  view.log(`error ${text}`);
}

function onState(state: ConnectionState, detail = ''): void {
  const was = debug.state;
  debug.state = state;
  view.setConnection(state, detail);
  if (state === was) {
    if (detail) view.log(detail); // e.g. a message that did not match the protocol
    return;
  }
  if (state === 'reconnecting') {
    const what = everOpen ? 'Bridge disconnected — reconnecting automatically.' : 'Cannot reach the bridge — retrying automatically.';
    view.showMessage('disconnected', `${what} ${detail}`);
    view.log(`disconnected: ${detail}`);
  } else if (state === 'open') {
    everOpen = true;
    view.clearMessage(['disconnected']);
    view.log('connected to the bridge');
    if (client) void refreshTargets(); // a reconnect: the process list may have changed
  } else if (state === 'closed') {
    view.showMessage('disconnected', `Disconnected from the bridge${detail ? `: ${detail}` : ''}. Reload the page to connect again.`);
  }
}

function setUrlPid(pid: number | undefined): void {
  const u = new URL(location.href);
  if (pid === undefined) u.searchParams.delete('pid');
  else u.searchParams.set('pid', String(pid));
  u.searchParams.set('interval', String(intervalMs));
  u.searchParams.set('mode', mode);
  history.replaceState(null, '', u);
}

async function refreshTargets(): Promise<void> {
  if (!client || client.connectionState !== 'open') return;
  try {
    const list = await client.listTargets();
    debug.targets = list.length;
    view.setTargets(targetOptions(list, current?.pid), current?.pid);
  } catch (err) {
    const e = err as BridgeClientError;
    showError(e.code ?? 'INTERNAL', `list-targets: ${e.message}`);
  }
}

/** Switches to another target (or none): forget the old one's points, subscribe the new one. */
function select(pid: number | undefined): void {
  if (current && client) client.unsubscribe(current.sub);
  current = undefined;
  charts.forEach((c) => c.reset());
  view.clearData();
  view.clearMessage(['exited', 'error']);
  view.setSelected(pid);
  setUrlPid(pid);
  debug.pid = pid ?? null;
  if (pid === undefined || !client) return;
  const cur: Current = { sub: client.subscribe({ pid }, { intervalMs, mode }), pid };
  current = cur;
  view.log(`subscribing to pid ${pid} every ${intervalMs} ms (${mode})`);
  void consume(cur);
}

async function consume(cur: Current): Promise<void> {
  const { sub } = cur;
  sub.on((e) => {
    if (current !== cur) return;
    if (e.type === 'error') showError(e.code, e.message);
    else if (e.type === 'resubscribed') {
      view.log(`resubscribed: ${targetTitle(e.target)}`);
      view.setTargetTitle(targetTitle(e.target));
    }
  });
  sub.subscribed.then(
    (t) => current === cur && view.setTargetTitle(targetTitle(t)),
    () => undefined, // the iterator throws the same error
  );
  try {
    for await (const s of sub) {
      if (current !== cur) return;
      onSample(cur, s);
    }
    if (current === cur && sub.exited) {
      view.showMessage('exited', `Target process ${cur.pid} exited. Its last sample stays on screen; pick another target.`);
      view.log(`pid ${cur.pid} exited`);
      void refreshTargets();
    }
  } catch (err) {
    if (current !== cur) return;
    const e = err as BridgeClientError;
    if (e.code === 'TARGET_EXITED') view.showMessage('exited', `Target process ${cur.pid} exited (${e.message}).`);
    else showError(e.code ?? 'INTERNAL', e.message);
  }
}

function onSample(cur: Current, s: SampleMessage): void {
  debug.samples++;
  debug.lastSeq = s.seq;
  const t = sampleTime(s);
  const pts = samplePoints(s);
  for (const id of Object.keys(pts) as TimeChartId[]) charts.get(id)?.push(t, pts[id]);
  const pauses = charts.get('pauses');
  if (cur.prevNumGC !== undefined && s.memstats.NumGC < cur.prevNumGC) {
    pauses?.reset(); // another process behind the same PID
    cur.prevNumGC = undefined;
  }
  for (const p of newPauses(s.memstats, cur.prevNumGC)) pauses?.push(p.t, [p.ns]);
  cur.prevNumGC = s.memstats.NumGC;
  cur.latest = s;
  // Samples flowing again: a transient error (gdb restarted, a failed read) is over.
  view.clearMessage(['error']);
  if (!frame) frame = requestAnimationFrame(renderTables);
}

/** Tables show the newest sample, redrawn at most once per frame. */
function renderTables(): void {
  frame = 0;
  const s = current?.latest;
  if (!current || !s) return;
  view.setFields(fieldRows(s.memstats, s.meta));
  view.setBySize(bySizeRows(s.memstats));
  view.setMeta(metaRows(s, current.sub.droppedLocally));
  document.body.dataset.seq = String(s.seq);
}

view.bind({
  pick: (pid) => select(pid),
  refresh: () => void refreshTargets(),
  options: (o) => {
    intervalMs = o.intervalMs;
    mode = o.mode === 'consistent' ? 'consistent' : 'live';
    select(current?.pid ?? debug.pid ?? undefined);
  },
});

try {
  // Relative to the page, so a reverse proxy may serve the bridge under a path prefix.
  client = await BridgeClient.connect({ url: new URL(`.${WS_PATH}`, location.href).href, token, retryFirstConnect: true, onState });
  if (urlPid !== undefined) {
    if (Number.isInteger(urlPid) && urlPid > 0) select(urlPid);
    else showError('BAD_REQUEST', `?pid= must be a process id, got ${params.get('pid')}`);
  }
  await refreshTargets();
} catch (err) {
  const e = err as BridgeClientError;
  showError(e.code ?? 'CONNECT_FAILED', e.message);
}
