// ptype/o parsing on output recorded from gdb 13 (test/fixtures/ptype, C language).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { isNamedValueType, parseArrayType, parsePtypeO, type Member, type StructLayout } from '../../bridge/go/layout/ptype.ts';

const read = (name: string): string => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ptype', name), 'utf8');
function struct(name: string): StructLayout {
  const r = parsePtypeO(read(name));
  if (r.kind !== 'struct') throw new Error(`${name}: ${JSON.stringify(r)}`);
  return r.layout;
}
const member = (s: { members?: Member[] | undefined }, name: string): Member => {
  const m = s.members?.find((x) => x.name === name);
  if (!m) throw new Error(`no member ${name}`);
  return m;
};

t.test('go1.26 runtime.gcControllerState: offsets, sizes, type names', async (t) => {
  const s = struct('go1.26.8-runtime.gcControllerState.txt');
  t.equal(s.name, 'runtime.gcControllerState');
  t.equal(s.size, 392);
  t.same(member(s, 'heapInUse'), { name: 'heapInUse', offset: 272, size: 8, type: 'runtime.sysMemStat' });
  t.same(member(s, 'totalAlloc'), { name: 'totalAlloc', offset: 296, size: 8, type: 'internal/runtime/atomic.Uint64' });
  t.equal(member(s, 'lastConsMark').type, '[4]float64');
  t.equal(member(s, '_').type, 'internal/cpu.CacheLinePad', 'blank members keep their name');
});

t.test('go1.26 runtime.p: anonymous inline structs become nested members with relative offsets', async (t) => {
  const p = struct('go1.26.8-runtime.p.txt');
  const mc = member(p, 'mspancache');
  t.ok(mc.members, 'expanded');
  t.equal(member(mc, 'len').offset, 0);
  t.equal(member(mc, 'buf').offset, 8);
  t.equal(member(mc, 'buf').type, '[128]*runtime.mspan');
  t.equal(parseArrayType(member(mc, 'buf').type)?.count, 128);
  t.equal(member(p, 'mcache').type, 'runtime.mcache *');
  const defer = member(p, 'deferpool');
  t.same(defer.members?.map((m) => [m.name, m.offset]), [['array', 0], ['len', 8], ['cap', 16]], 'a Go slice is {array, len, cap}');
});

t.test('go1.26 runtime.mheap (93 KB, needs max-value-size unlimited)', async (t) => {
  const h = struct('go1.26.8-runtime.mheap.txt');
  t.equal(h.size, 93464);
  const arenas = member(h, 'arenas');
  t.equal(arenas.type, '[1]*[4194304]*runtime.heapArena');
  t.same(parseArrayType(arenas.type), { count: 1, elem: '*[4194304]*runtime.heapArena' });
  const central = member(h, 'central');
  t.equal(parseArrayType(central.type)?.count, 136);
  t.equal(central.size / 136, 192);
  t.equal(member(member(h, 'curArena'), 'end').offset, 8, 'struct literal members expanded');
});

t.test('go1.19 runtime.mspan: u16 counters, uintptr nelems', async (t) => {
  const s = struct('go1.19.8-runtime.mspan.txt');
  t.equal(s.size, 144);
  t.same([member(s, 'allocCount').offset, member(s, 'allocCountBeforeCache').offset, member(s, 'nelems').size], [96, 102, 8]);
});

t.test('non-struct and expression forms', async (t) => {
  t.same(parsePtypeO(read('go1.26.8-runtime.sysMemStat.txt')), { kind: 'scalar', name: 'runtime.sysMemStat' });
  const allp = parsePtypeO(read('go1.26.8-allp-expr.txt'));
  t.equal(allp.kind, 'struct', 'ptype/o of a global prints the offset header first');
  if (allp.kind === 'struct') t.same(allp.layout.members.map((m) => m.name), ['array', 'len', 'cap']);
  t.equal(parsePtypeO('No symbol "x" in current context.\n').kind, 'error');
  t.equal(parsePtypeO('type = struct x {\n/*      0      |       8 */    uint64 a;\n').kind, 'error', 'no total size');
});

t.test('named value types', async (t) => {
  t.ok(isNamedValueType('internal/runtime/atomic.Uint64'));
  t.ok(isNamedValueType('runtime.mutex'));
  t.notOk(isNamedValueType('runtime.mcache *'));
  t.notOk(isNamedValueType('[68]uint64'));
  t.notOk(isNamedValueType('uint64'));
  t.notOk(isNamedValueType('func(unsafe.Pointer, unsafe.Pointer)'));
});
