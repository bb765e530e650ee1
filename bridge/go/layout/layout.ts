// Struct layouts and global addresses from DWARF, through pure MI: `ptype/o` (C language)
// for members, `-data-evaluate-expression` for addresses, sizes and the odd deep path.
// Everything here runs against the executable before attaching: no target time is spent.
import type { MiClient } from '../../mi/client.ts';
import { interpreterExecConsole } from '../../mi/commands/console.ts';
import { dataEvaluateExpression } from '../../mi/commands/data.ts';
import { MiError } from '../../mi/errors.ts';
import { GoError, GoErrorCode } from '../errors.ts';
import { isNamedValueType, parseArrayType, parsePtypeO, type Member, type PtypeResult, type StructLayout } from './ptype.ts';

/** A resolved field: where it is inside its root type, how big, and gdb's type text. */
export interface FieldLayout {
  offset: number;
  size: number;
  type: string;
}

const SYMBOL_NAME = /^[A-Za-z0-9_./()*]+$/;

function checkName(name: string): string {
  // These names are ours, never a client's; the check keeps them inside the quotes.
  if (!SYMBOL_NAME.test(name)) throw new RangeError(`not a Go symbol or type name: ${name}`);
  return name;
}

function isAbsent(err: unknown): boolean {
  return err instanceof MiError && err.code === 'MI_ERR_COMMAND_FAILED' && /No symbol|There is no member|no member named|not defined|No struct type/i.test(err.gdbMessage ?? '');
}

export class LayoutResolver {
  private readonly ptypes = new Map<string, Promise<PtypeResult>>();
  /** Number of MI round trips spent, for the cache test and benchmarks. */
  commands = 0;

  constructor(private readonly gdb: MiClient) {}

  /** `ptype/o 'T'`, memoized; concurrent callers share one round trip. */
  ptype(typeName: string): Promise<PtypeResult> {
    let p = this.ptypes.get(typeName);
    if (!p) {
      this.commands++;
      p = interpreterExecConsole(this.gdb, `ptype/o '${checkName(typeName)}'`, { timeoutMs: 30_000 }).then(
        (r) => parsePtypeO(r.output),
        (err: unknown) => {
          if (isAbsent(err)) return { kind: 'error', message: (err as MiError).gdbMessage ?? 'absent' } as const;
          throw err;
        },
      );
      this.ptypes.set(typeName, p);
    }
    return p;
  }

  async struct(typeName: string): Promise<StructLayout | undefined> {
    const r = await this.ptype(typeName);
    return r.kind === 'struct' ? r.layout : undefined;
  }

  async requireStruct(typeName: string): Promise<StructLayout> {
    const s = await this.struct(typeName);
    if (!s) throw new GoError(GoErrorCode.LAYOUT, `type ${typeName} not found in the binary's DWARF: this runtime is not one mstat-bridge knows (a modified or newer Go?); please report it with the Go version`);
    return s;
  }

  /**
   * Resolves `a.b.c` inside `typeName`, descending into inline anonymous structs and named
   * struct types. Undefined when a member is absent (feature detection).
   */
  async field(typeName: string, path: string): Promise<FieldLayout | undefined> {
    let members: Member[] | undefined = (await this.struct(typeName))?.members;
    let offset = 0;
    let cur: Member | undefined;
    for (const name of path.split('.')) {
      if (!members && cur && isNamedValueType(cur.type)) members = (await this.struct(cur.type))?.members;
      if (!members) return undefined;
      cur = members.find((m) => m.name === name);
      if (!cur) return undefined;
      offset += cur.offset;
      members = cur.members;
    }
    return cur ? { offset, size: cur.size, type: cur.type } : undefined;
  }

  /**
   * Like field(), then descends through single-member wrappers (atomic.Uint64 → value,
   * atomic.Float64 → u → value, mutex → key) to the scalar that holds the bits.
   */
  async leaf(typeName: string, path: string): Promise<FieldLayout | undefined> {
    let f = await this.field(typeName, path);
    for (let depth = 0; f && depth < 4 && isNamedValueType(f.type); depth++) {
      const s = await this.struct(f.type);
      if (!s) break; // a base type such as runtime.sysMemStat
      const real = s.members.filter((m) => m.size > 0);
      if (real.length !== 1) break;
      f = { offset: f.offset + real[0]!.offset, size: real[0]!.size, type: real[0]!.type };
    }
    return f;
  }

  async requireLeaf(typeName: string, path: string): Promise<FieldLayout> {
    const f = await this.leaf(typeName, path);
    if (!f) throw new GoError(GoErrorCode.LAYOUT, `member ${typeName}.${path} not found in the binary's DWARF: this runtime is not one mstat-bridge knows (a modified or newer Go?); please report it with the Go version`);
    return f;
  }

  /** Evaluates a C expression; undefined when it names something absent. */
  async evaluate(expression: string): Promise<string | undefined> {
    this.commands++;
    try {
      return await dataEvaluateExpression(this.gdb, expression, { timeoutMs: 30_000 });
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
  }

  /** Link-time (or, once attached, run-time) address and size of a global; undefined if absent. */
  async global(name: string): Promise<{ address: bigint; size: number } | undefined> {
    checkName(name);
    const [addr, size] = await Promise.all([this.evaluate(`(unsigned long)&'${name}'`), this.evaluate(`sizeof('${name}')`)]);
    if (addr === undefined || size === undefined) return undefined;
    return { address: BigInt(addr), size: Number(size) };
  }

  async typeExists(typeName: string): Promise<boolean> {
    return (await this.evaluate(`sizeof('${checkName(typeName)}')`)) !== undefined;
  }

  /** Offset of a C member path from a type, e.g. `central[0].mcentral`. */
  async offsetOf(typeName: string, cPath: string): Promise<number | undefined> {
    if (!/^[A-Za-z0-9_.[\]]+$/.test(cPath)) throw new RangeError(`bad member path ${cPath}`);
    const v = await this.evaluate(`(long)&(('${checkName(typeName)}'*)0)->${cPath}`);
    return v === undefined ? undefined : Number(v);
  }
}

export { parseArrayType };
