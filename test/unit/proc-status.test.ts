// bridge/access/proc/proc-status.ts parseProcStatus: the one reader of a /proc/PID/status text
// (local, or fetched over ssh). The text is a real memhog's; the variant changes only values.
import t from 'tap';
import { parseProcStatus } from '../../bridge/access/proc/proc-status.ts';

const REAL = "Name:\tmemhog-go1.26.8\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t16927\nNgid:\t0\nPid:\t16927\nPPid:\t16924\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t256\nGroups:\t \nNStgid:\t16927\nNSpid:\t16927\nNSpgid:\t16924\nNSsid:\t4864\nKthread:\t0\nVmPeak:\t 1296864 kB\nVmSize:\t 1296864 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\nVmHWM:\t   22788 kB\nVmRSS:\t   22788 kB\nRssAnon:\t   20064 kB\nRssFile:\t    2724 kB\nRssShmem:\t       0 kB\nVmData:\t   64232 kB\nVmStk:\t     132 kB\nVmExe:\t    1228 kB\nVmLib:\t       8 kB\nVmPTE:\t     140 kB\nVmSwap:\t       0 kB\nHugetlbPages:\t       0 kB\nCoreDumping:\t0\nTHP_enabled:\t1\nuntag_mask:\t0xffffffffffffffff\nThreads:\t7\nSigQ:\t1/96367\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\tfffffffc3bba3a00\nSigIgn:\t0000000000000000\nSigCgt:\tfffffffd7fc1feff\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\nSpeculation_Store_Bypass:\tthread vulnerable\nSpeculationIndirectBranch:\tconditional enabled\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nMems_allowed:\t00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000001\nMems_allowed_list:\t0\nvoluntary_ctxt_switches:\t6\nnonvoluntary_ctxt_switches:\t0\n";

t.test('a real status text', async (t) => {
  const s = parseProcStatus(REAL);
  t.equal(s.state, 'S');
  t.equal(s.tracerPid, 0);
  t.ok(s.ppid > 0, 'PPid');
  t.strictSame(s.uids, [0, 0, 0, 0], 'real, effective, saved, fs uid');
  t.strictSame(s.gids, [0, 0, 0, 0]);
  t.equal(s.capEff, 0x000001fffeffffffn, 'CapEff as a bit set');
  t.ok(s.vmHwmKiB !== undefined && s.vmHwmKiB > 1000, `VmHWM ${s.vmHwmKiB} KiB`);
});

t.test('traced by another process, another user', async (t) => {
  const s = parseProcStatus(REAL.replace('State:\tS (sleeping)', 'State:\tt (tracing stop)').replace('TracerPid:\t0', 'TracerPid:\t4242').replace('Uid:\t0\t0\t0\t0', 'Uid:\t1000\t1001\t1002\t1003').replace('Gid:\t0\t0\t0\t0', 'Gid:\t100\t101\t102\t103'));
  t.equal(s.state, 't', 'the tracing-stop letter, case kept');
  t.equal(s.tracerPid, 4242);
  t.strictSame(s.uids, [1000, 1001, 1002, 1003]);
  t.strictSame(s.gids, [100, 101, 102, 103]);
});

t.test('a kernel thread or a zombie: no VmHWM; lines missing: safe defaults', async (t) => {
  const z = parseProcStatus('Name:\tx\nState:\tZ (zombie)\nPPid:\t1\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n');
  t.equal(z.state, 'Z');
  t.equal(z.vmHwmKiB, undefined);
  t.equal(z.capEff, undefined);
  const empty = parseProcStatus('');
  t.strictSame([empty.state, empty.tracerPid, empty.uids], ['?', 0, []]);
});
