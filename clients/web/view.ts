// DOM rendering of the dashboard: picker, status and messages, tables. Takes plain view
// models (model.ts) and knows nothing of the protocol. Text goes in through textContent only.
import type { BySizeRow, FieldRow, KeyValue, TargetOption } from './model.ts';

export type MessageKind = 'exited' | 'disconnected' | 'error' | 'info';

export interface ViewHandlers {
  pick(pid: number | undefined): void;
  refresh(): void;
  options(o: { intervalMs: number; mode: string }): void;
}

function byId<T extends HTMLElement>(doc: Document, id: string): T {
  const e = doc.getElementById(id);
  if (!e) throw new Error(`index.html lacks #${id}`);
  return e as T;
}

/** Table rows keyed by name, created once and then only updated (cheap at 10 samples/s). */
class KeyedRows {
  private readonly rows = new Map<string, HTMLTableCellElement[]>();
  constructor(private readonly body: HTMLTableSectionElement, private readonly key: string, private readonly columns: number) {}

  set(id: string, cells: readonly string[], attrs: Record<string, string> = {}): HTMLTableRowElement {
    let tds = this.rows.get(id);
    if (!tds) {
      const tr = this.body.ownerDocument.createElement('tr');
      tr.dataset[this.key] = id;
      tds = [];
      for (let i = 0; i < this.columns; i++) tds.push(tr.appendChild(this.body.ownerDocument.createElement(i === 0 ? 'th' : 'td')));
      this.body.appendChild(tr);
      this.rows.set(id, tds);
    }
    cells.forEach((c, i) => {
      const td = tds[i];
      if (td && td.textContent !== c) td.textContent = c;
    });
    const tr = tds[0]!.parentElement as HTMLTableRowElement;
    for (const [k, v] of Object.entries(attrs)) if (tr.dataset[k] !== v) tr.dataset[k] = v;
    return tr;
  }

  clear(): void {
    this.body.replaceChildren();
    this.rows.clear();
  }
}

export class DashboardView {
  private readonly connection: HTMLElement;
  private readonly message: HTMLElement;
  private readonly select: HTMLSelectElement;
  private readonly interval: HTMLSelectElement;
  private readonly mode: HTMLSelectElement;
  private readonly title: HTMLElement;
  private readonly events: HTMLOListElement;
  private readonly fields: KeyedRows;
  private readonly meta: KeyedRows;
  private readonly bySize: KeyedRows;

  constructor(private readonly doc: Document) {
    this.connection = byId(doc, 'connection');
    this.message = byId(doc, 'message');
    this.select = byId(doc, 'target-select');
    this.interval = byId(doc, 'interval');
    this.mode = byId(doc, 'mode');
    this.title = byId(doc, 'target-title');
    this.events = byId(doc, 'event-log');
    this.fields = new KeyedRows(byId(doc, 'memstats-body'), 'field', 5);
    this.meta = new KeyedRows(byId(doc, 'meta-body'), 'key', 2);
    this.bySize = new KeyedRows(byId(doc, 'bysize-body'), 'sizeClass', 6);
  }

  bind(h: ViewHandlers): void {
    this.select.addEventListener('change', () => h.pick(this.select.value === '' ? undefined : Number(this.select.value)));
    byId(this.doc, 'refresh-targets').addEventListener('click', () => h.refresh());
    const opts = (): void => h.options({ intervalMs: Number(this.interval.value), mode: this.mode.value });
    this.interval.addEventListener('change', opts);
    this.mode.addEventListener('change', opts);
  }

  chartElement(id: string): HTMLElement {
    const e = this.doc.querySelector<HTMLElement>(`[data-chart="${id}"] .plot`);
    if (!e) throw new Error(`index.html lacks the chart ${id}`);
    return e;
  }

  setConnection(state: string, detail: string): void {
    this.connection.dataset.state = state;
    this.connection.textContent = detail ? `${state}: ${detail}` : state;
  }

  showMessage(kind: MessageKind, text: string): void {
    this.message.dataset.kind = kind;
    this.message.textContent = text;
    this.message.hidden = false;
  }

  /** Hides the banner if it shows one of these kinds (a newer condition replaced it). */
  clearMessage(kinds: readonly MessageKind[]): void {
    if (this.message.hidden || !kinds.includes(this.message.dataset.kind as MessageKind)) return;
    this.message.hidden = true;
    this.message.dataset.kind = '';
    this.message.textContent = '';
  }

  /** Appends to the event log (newest first, bounded). */
  log(text: string): void {
    const li = this.doc.createElement('li');
    const time = this.doc.createElement('time');
    time.textContent = new Date().toLocaleTimeString();
    li.append(time, ` ${text}`);
    this.events.prepend(li);
    while (this.events.children.length > 50) this.events.lastElementChild?.remove();
  }

  setTargets(options: readonly TargetOption[], selected: number | undefined): void {
    const doc = this.doc;
    const none = doc.createElement('option');
    none.value = '';
    none.textContent = options.length ? '— pick a Go process —' : '— no Go processes found —';
    const opts = options.map((o) => {
      const e = doc.createElement('option');
      e.value = String(o.pid);
      e.textContent = o.label;
      e.disabled = o.disabled;
      e.title = o.title;
      return e;
    });
    this.select.replaceChildren(none, ...opts);
    this.select.value = selected === undefined ? '' : String(selected);
  }

  setSelected(pid: number | undefined): void {
    this.select.value = pid === undefined ? '' : String(pid);
  }

  setOptions(intervalMs: number, mode: string): void {
    if (![...this.interval.options].some((o) => o.value === String(intervalMs))) {
      const e = this.doc.createElement('option');
      e.value = String(intervalMs);
      e.textContent = `${intervalMs} ms`;
      this.interval.append(e);
    }
    this.interval.value = String(intervalMs);
    this.mode.value = mode;
  }

  setTargetTitle(text: string): void {
    this.title.textContent = text;
  }

  setFields(rows: readonly FieldRow[]): void {
    for (const r of rows) this.fields.set(r.name, [r.name, r.value, r.unit, r.human, r.note], { raw: r.raw, quality: r.estimated ? 'estimated' : 'exact' });
  }

  setBySize(rows: readonly BySizeRow[]): void {
    for (const r of rows) this.bySize.set(String(r.index), [String(r.index), r.size, r.mallocs, r.frees, r.live, r.liveBytes], { empty: r.mallocs === '0' ? 'true' : 'false' });
  }

  setMeta(rows: readonly KeyValue[]): void {
    for (const r of rows) this.meta.set(r.key, [r.key, r.value]);
  }

  /** Empties the tables (another target, or none). */
  clearData(): void {
    this.fields.clear();
    this.meta.clear();
    this.bySize.clear();
    this.title.textContent = '';
  }
}
