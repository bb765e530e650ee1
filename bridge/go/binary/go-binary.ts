// What a file is as a Go program: its ELF facts plus the Go build ID, toolchain version and
// module info. The one place that puts elf.ts and build-id.ts together.
import { goBuildIdOf, goBuildInfoOf } from './build-id.ts';
import { elfInfoOf, withElf, type ElfInfo } from './elf.ts';

export interface GoElfInfo extends ElfInfo {
  goBuildId?: string;
  /** runtime.Version() of the toolchain that built it, from .go.buildinfo. */
  goVersion?: string;
  /** Raw module info (runtime/debug.BuildInfo text form), sentinels stripped. */
  goModInfo?: string;
}

/**
 * Identifies an ELF file. Throws BridgeError GO_ERR_UNREADABLE (cannot open/read),
 * GO_ERR_NOT_ELF (no ELF magic) or GO_ERR_BAD_ELF (ELF magic but corrupt headers).
 * Go fields are undefined for non-Go binaries.
 */
export async function readElfInfo(path: string): Promise<GoElfInfo> {
  return withElf(path, async (elf) => {
    const info: GoElfInfo = await elfInfoOf(elf);
    const goBuildId = await goBuildIdOf(elf);
    const bi = await goBuildInfoOf(elf);
    if (goBuildId !== undefined) info.goBuildId = goBuildId;
    if (bi !== undefined) {
      info.goVersion = bi.version;
      if (bi.modInfo !== undefined) info.goModInfo = bi.modInfo;
    }
    return info;
  });
}
