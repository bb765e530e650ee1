// The file gdb opens is the file that was checked, whatever its name (issue 13): for names
// that gdb's own parsing would change (blanks, `~` at a word start, a trailing blank,
// quotes, backslashes, non-ASCII), gdb is given bridge/go/binary/gdb-path.ts's name and reads the
// Go build ID note of exactly that file, not of a decoy where a misparse would land.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readSection } from '../../bridge/go/binary/elf.ts';
import { readElfInfo } from '../../bridge/go/binary/go-binary.ts';
import { gdbPath } from '../../bridge/go/binary/gdb-path.ts';
import { dataReadMemoryBytes } from '../../bridge/mi/commands/data.ts';
import { fileExecAndSymbols } from '../../bridge/mi/commands/file.ts';
import { openTestGdb } from '../support/gdb.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';

const checked = fixture(); // what each hostile name holds
const decoy = fixture({ toolchain: '1.23' }); // what a misparse would find instead

const NAMES = [
  'with space',
  'trailing space ',
  ' leading space',
  'tilde ~',
  '~',
  'a ~b',
  "single'quote",
  'double"quote',
  'back\\slash',
  'back\\ \\~ mixed',
  'dollar $HOME',
  'ünïcödé ☃',
  '-dash',
];

t.test('gdb reads the checked file under every hostile name', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'mstat-names-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const info = await readElfInfo(checked.path);
  const note = info.sections.find((s) => s.name === '.note.go.buildid')!;
  const want = await readSection(checked.path, note);
  const decoyNote = await readSection(decoy.path, (await readElfInfo(decoy.path)).sections.find((s) => s.name === '.note.go.buildid')!);
  t.not(want.toString('hex'), decoyNote.toString('hex'), 'the decoy is another build');
  for (const name of NAMES) {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, name);
    copyFileSync(checked.path, file);
    // Decoys where gdb's re-parsing would go: the name cut at a blank, or with ~ expanded.
    for (const d of [join(dir, name.trim()), join(dir, name.split(' ')[0]!), join(dir, name.replace(/~/g, homedir()))]) {
      const rest = d.slice(dir.length + 1);
      if (d !== file && d.startsWith(dir + '/') && rest !== '' && !rest.includes('/')) copyFileSync(decoy.path, d);
    }
    const gdb = await openTestGdb(t);
    const given = await gdbPath(file);
    try {
      await fileExecAndSymbols(gdb, given.path);
      const read = await dataReadMemoryBytes(gdb, note.addr, Number(note.size));
      t.equal(read.bytes.toString('hex'), want.toString('hex'), `${JSON.stringify(name)}: gdb read the checked file's Go build ID${given.path === file ? '' : ' (through a plain private name)'}`);
    } finally {
      await given.dispose();
    }
  }
});
