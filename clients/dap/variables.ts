// MemStats as DAP scopes and variables. Each refresh the client is told about pins the then
// latest sample as a generation, so one tree view never mixes two samples; variable references
// come from that generation's own Handles, numbered in its own range, so a reference the client
// still holds from an older view never names a node of a newer one. Generations are kept for
// a few seconds, so a slow client (remote VS Code, a loaded machine) can finish reading the view
// it asked for even when a refresh per sample pins a new one every 100 ms; a cap keeps memory
// bounded however long the session runs.
import { Handles, Scope, Variable } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { SampleMessage } from '../../protocol/server-messages.ts';
import { evaluateExpression, memStatsScopes, type TreeNode } from './memstats-tree.ts';

/** References per generation; a tree has about a hundred expandable nodes. */
const GEN_SPAN = 10_000;
/** Generation slots before numbers wrap (keeps references below 2^31). */
const GEN_SLOTS = 200_000;
/** Generations kept for in-flight requests of views the client has not refreshed yet: the last KEEP_MIN, and any younger than KEEP_MS, at most KEEP_MAX. */
export const KEEP_MIN = 4;
export const KEEP_MS = 5_000;
export const KEEP_MAX = 64;

interface Generation {
  slot: number;
  pinnedAt: number;
  sample: SampleMessage;
  handles: Handles<() => TreeNode[]>;
  /** node key → reference: asking twice for the same node gives the same reference */
  refs: Map<string, number>;
}

export class MemStatsVariables {
  private readonly gens = new Map<number, Generation>();
  private current = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The sample the client's next scopes/variables requests will see. */
  get pinned(): SampleMessage | undefined {
    return this.gens.get(this.current)?.sample;
  }

  /** Starts a generation on `sample` (call right before telling the client to refetch). */
  pin(sample: SampleMessage): void {
    if (this.pinned === sample) return;
    this.current = (this.current % GEN_SLOTS) + 1;
    const now = this.now();
    this.gens.set(this.current, { slot: this.current, pinnedAt: now, sample, handles: new Handles(this.current * GEN_SPAN + 1), refs: new Map() });
    for (const [k, g] of this.gens) {
      const age = (this.current - k + GEN_SLOTS) % GEN_SLOTS;
      if (age >= KEEP_MAX || (age >= KEEP_MIN && now - g.pinnedAt > KEEP_MS)) this.gens.delete(k);
    }
  }

  /** Generations held now (for tests and the memory bound). */
  get kept(): number {
    return this.gens.size;
  }

  scopes(): DebugProtocol.Scope[] {
    const gen = this.gens.get(this.current);
    if (!gen) throw new Error('no sample yet: wait for the first one');
    return memStatsScopes(gen.sample).map((s) => new Scope(s.name, this.ref(gen, `scope:${s.name}`, s.children), s.expensive));
  }

  /** Children of a reference; an unknown or evicted one has none (the client refetches after the invalidation that evicted it). */
  variables(ref: number): DebugProtocol.Variable[] {
    const gen = this.gens.get(Math.floor(ref / GEN_SPAN));
    const children = gen?.handles.get(ref);
    if (!gen || !children) return [];
    return children().map((n) => this.variable(gen, `${ref}/${n.name}`, n));
  }

  /** Evaluates against `sample` (the newest one, not necessarily the pinned one). */
  evaluate(sample: SampleMessage, expression: string, context?: string): { result: string; type: string; variablesReference: number } {
    this.pin(this.pinned ?? sample);
    const gen = this.gens.get(this.current)!;
    const n = evaluateExpression(sample, expression);
    const variablesReference = n.children ? this.ref(gen, `eval:${sample.seq}:${n.evaluateName ?? n.name}`, n.children) : 0;
    // The clipboard wants the number itself, the console and hovers the number with its hint.
    return { result: context === 'clipboard' ? n.exact : n.value, type: n.type, variablesReference };
  }

  private variable(gen: Generation, key: string, n: TreeNode): DebugProtocol.Variable {
    const ref = n.children ? this.ref(gen, key, n.children) : 0;
    const v = new Variable(n.name, n.value, ref) as DebugProtocol.Variable;
    if (n.type !== '') v.type = n.type;
    if (n.evaluateName !== undefined) v.evaluateName = n.evaluateName;
    v.presentationHint = { attributes: ['readOnly'] };
    return v;
  }

  private ref(gen: Generation, key: string, children: () => TreeNode[]): number {
    let r = gen.refs.get(key);
    if (r === undefined) {
      r = gen.handles.create(children);
      if (r >= (gen.slot + 1) * GEN_SPAN) throw new Error('too many variable references in one view');
      gen.refs.set(key, r);
    }
    return r;
  }
}
