// A core file and the executable that produced it: nothing runs, nothing can be harmed.
// gdb loads the executable's symbols, then `-target-select core`; every sample reads the
// same stopped snapshot (so the mcache corrections apply as in consistent mode).
import { basename, resolve } from 'node:path';
import type { MiClient } from '../mi/client.ts';
import { targetSelect } from '../mi/commands/target.ts';
import { MiError } from '../mi/errors.ts';
import { goVersionSupported, MIN_GO_MINOR, parseGoVersion } from '../go/binary/go-version.ts';
import { coreGoBuildId, readCoreFacts } from '../go/binary/core-file.ts';
import { gdbPath, type GdbPath } from '../go/binary/gdb-path.ts';
import { PT_LOAD } from '../go/binary/elf.ts';
import { readElfInfo } from '../go/binary/go-binary.ts';
import { GoError, GoErrorCode } from '../go/errors.ts';
import type { Preflight } from '../go/target-access.ts';
import type { TargetAccess } from '../go/target-access.ts';

export class CoreAccess implements TargetAccess {
  readonly kind = 'core' as const;
  readonly frozen = true;
  readonly description: string;
  readonly labels: { core: string };

  private readonly core: string;
  private readonly exe: string;

  constructor(core: string, exe: string) {
    this.core = resolve(core);
    this.exe = resolve(exe);
    this.description = `core file ${core}`;
    this.labels = { core };
  }

  async preflight(): Promise<Preflight> {
    const facts = await readCoreFacts(this.core);
    try {
      const info = await readElfInfo(this.exe).catch((err: unknown) => {
        // The executable is part of the core target: one that is missing or not ELF is a bad core reference.
        const code = (err as { code?: string }).code;
        if (code === 'GO_ERR_NO_SUCH_FILE' || code === 'GO_ERR_NOT_ELF' || code === 'GO_ERR_BAD_ELF') throw new GoError(GoErrorCode.BAD_CORE, `the executable given with ${this.core}: ${(err as Error).message}`, { cause: err });
        throw err;
      });
      if (!info.goBuildId && !info.goVersion) throw new GoError(GoErrorCode.NOT_GO, `--exe ${this.exe} is not a Go program (no Go build ID or build info)`);
      if (info.machine !== facts.machine) throw new GoError(GoErrorCode.BAD_CORE, `${this.core} is from another architecture than ${this.exe}`);
      const how = `pass an unstripped build (without -ldflags='-s -w' or '-w') of the same source and toolchain`;
      if (!info.hasSymtab) throw new GoError(GoErrorCode.NO_SYMBOLS, `${this.exe} has no symbol table; ${how}`);
      if (!info.hasDwarf) throw new GoError(GoErrorCode.NO_DWARF, `${this.exe} has no DWARF debug info; ${how}`);
      const version = info.goVersion ? parseGoVersion(info.goVersion) : undefined;
      if (!version) throw new GoError(GoErrorCode.NOT_GO, `cannot tell the Go version of ${this.exe}`);
      if (!goVersionSupported(version)) throw new GoError(GoErrorCode.UNSUPPORTED_VERSION, `${this.exe} was built with ${info.goVersion}; mstat-bridge supports Go 1.${MIN_GO_MINOR} and newer`);
      // The kernel names the executable's mappings by path; its command name (15 chars) picks it.
      const exeMapping = facts.mappings.find((m) => m.pageOffset === 0n && basename(m.path).startsWith(facts.fname));
      // Without NT_FILE, a non-PIE executable is where its own first segment says.
      const base = exeMapping?.start ?? (info.type === 'exec' ? info.segments.find((p) => p.type === PT_LOAD && p.offset === 0n)?.vaddr : undefined);
      const dumped = base === undefined ? undefined : await coreGoBuildId(facts, base);
      if (dumped !== undefined && dumped !== info.goBuildId) {
        throw new GoError(
          GoErrorCode.CORE_BUILD_MISMATCH,
          `${this.core} was not produced by ${this.exe} (Go build ID ${dumped ?? 'none'} in the core vs ${info.goBuildId ?? 'none'}); pass the exact binary that crashed`,
        );
      }
      return {
        pid: facts.pid,
        symbolFile: this.exe,
        exePath: exeMapping?.path ?? this.exe,
        buildId: info.goBuildId ?? '',
        version,
        machineName: info.machineName,
        pie: info.type === 'dyn',
      };
    } finally {
      await facts.elf.close();
    }
  }

  /** the name gdb was given for the core (kept until dispose: gdb may open it again) */
  private coreName: GdbPath | undefined;

  async attach(gdb: MiClient): Promise<void> {
    const core = (this.coreName = await gdbPath(this.core));
    try {
      await targetSelect(gdb, 'core', core.path);
    } catch (err) {
      const msg = err instanceof MiError ? (err.gdbMessage ?? err.message) : String(err);
      throw new GoError(GoErrorCode.BAD_CORE, `gdb cannot open ${this.core}: ${msg}`, { cause: err });
    }
  }

  async alive(): Promise<boolean> {
    return true;
  }

  async ensureRunning(): Promise<void> {}

  async dispose(): Promise<void> {
    await this.coreName?.dispose();
  }
}
