// bridge/targets/policy.ts: --allow-pids, --allow-exes and --same-uid decide before anything
// touches a target; what cannot be checked is refused (never waved through).
import t from 'tap';
import { BridgeError } from '../../bridge/errors.ts';
import { toWireError } from '../../bridge/targets/wire-errors.ts';
import { BridgeErrorCode } from '../../bridge/errors.ts';
import { ReadPolicy, type PolicyFacts, type PolicyOptions } from '../../bridge/targets/policy.ts';

const ME = 1000;

/** A small fake /proc: pid → uids and exe; `unreadable` PIDs exist but cannot be read. */
function facts(procs: Record<number, { uids: number[]; exe: string }>, unreadable: number[] = [], files: Record<string, { real: string; owner: number }> = {}): PolicyFacts {
  const eacces = (): never => {
    throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
  };
  const enoent = (): never => {
    throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  };
  return {
    uids: (pid) => (unreadable.includes(pid) ? eacces() : (procs[pid]?.uids ?? enoent())),
    exe: (pid) => (unreadable.includes(pid) ? eacces() : (procs[pid]?.exe ?? enoent())),
    processExists: (pid) => pid in procs || unreadable.includes(pid),
    realpath: (p) => files[p]?.real ?? enoent(),
    fileOwner: (p) => files[p]?.owner ?? enoent(),
    myUid: () => ME,
  };
}

const PROCS = {
  10: { uids: [ME, ME, ME], exe: '/srv/app' },
  11: { uids: [0, 0, 0], exe: '/srv/app' },
  12: { uids: [ME, 0, ME], exe: '/srv/app' }, // setuid root, started by us
  13: { uids: [ME, ME, ME], exe: '/srv/other' },
  14: { uids: [ME, ME, ME], exe: '/srv/app (deleted)' },
};

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as BridgeError).code;
  }
}

const policy = (o: Partial<PolicyOptions>, unreadable: number[] = [], files = {}): ReadPolicy => new ReadPolicy({ sameUid: false, ...o }, facts(PROCS, unreadable, files));

t.test('no policy: everything passes (ptrace decides)', async (t) => {
  const p = policy({});
  for (const pid of [10, 11, 12, 13, 99]) t.equal(codeOf(() => p.check({ pid })), undefined);
  t.equal(codeOf(() => p.check({ ssh: 'h', pid: 1 })), undefined);
  t.equal(codeOf(() => p.check({ core: '/c', exe: '/e' })), undefined);
  t.equal(p.refusal(11), undefined);
});

t.test('--same-uid', async (t) => {
  const p = policy({ sameUid: true }, [20]);
  t.equal(codeOf(() => p.check({ pid: 10 })), undefined, 'our own process');
  t.equal(codeOf(() => p.check({ pid: 11 })), BridgeErrorCode.POLICY, "root's process");
  t.equal(codeOf(() => p.check({ pid: 12 })), BridgeErrorCode.POLICY, 'a setuid process: its effective uid is not ours');
  t.equal(codeOf(() => p.check({ pid: 20 })), BridgeErrorCode.POLICY, 'owner unreadable: refused, not skipped');
  t.equal(codeOf(() => p.check({ pid: 99 })), 'GO_ERR_NO_SUCH_PROCESS', 'a PID that does not exist');
  let msg = '';
  try {
    p.check({ pid: 20 });
  } catch (err) {
    msg = (err as Error).message;
    t.same(toWireError(err).code, 'PERMISSION_DENIED', 'wire code as for --allow-pids');
  }
  t.match(msg, /^cannot read the owner of PID 20 \(EACCES\); the bridge runs with --same-uid$/);
  t.match(p.refusal(11) ?? '', /^refused by this bridge's policy: PID 11 runs as uid 0, not the bridge's uid 1000/);
  t.equal(p.refusal(10), undefined);
});

t.test('--same-uid on core files: the file owner', async (t) => {
  const p = policy({ sameUid: true }, [], { '/mine.core': { real: '/mine.core', owner: ME }, '/root.core': { real: '/root.core', owner: 0 } });
  t.equal(codeOf(() => p.check({ core: '/mine.core', exe: '/e' })), undefined);
  t.equal(codeOf(() => p.check({ core: '/root.core', exe: '/e' })), BridgeErrorCode.POLICY);
  t.equal(codeOf(() => p.check({ core: '/missing.core', exe: '/e' })), 'GO_ERR_BAD_CORE');
});

t.test('--allow-exes', async (t) => {
  const p = policy({ allowExes: ['/srv/app'] }, [20], { '/bin/link-to-app': { real: '/srv/app', owner: 0 }, '/srv/other': { real: '/srv/other', owner: 0 } });
  t.equal(codeOf(() => p.check({ pid: 10 })), undefined, 'runs /srv/app');
  t.equal(codeOf(() => p.check({ pid: 11 })), undefined, 'another user, same executable: ptrace decides');
  t.equal(codeOf(() => p.check({ pid: 13 })), BridgeErrorCode.POLICY, 'runs another executable');
  t.equal(codeOf(() => p.check({ pid: 14 })), BridgeErrorCode.POLICY, 'executable replaced on disk since it started');
  t.equal(codeOf(() => p.check({ pid: 20 })), BridgeErrorCode.POLICY, 'executable unreadable: refused');
  t.equal(codeOf(() => p.check({ pid: 99 })), 'GO_ERR_NO_SUCH_PROCESS');
  t.equal(codeOf(() => p.check({ ssh: 'h', pid: 10 })), BridgeErrorCode.POLICY, 'remote processes cannot be checked: refused');
  t.equal(codeOf(() => p.checkRemote()), BridgeErrorCode.POLICY, 'remote listings too');
  t.equal(codeOf(() => p.check({ core: '/c', exe: '/bin/link-to-app' })), undefined, 'a core of an allowed executable (symlinks resolved)');
  t.equal(codeOf(() => p.check({ core: '/c', exe: '/srv/other' })), BridgeErrorCode.POLICY, 'a core of another executable');
  t.equal(codeOf(() => p.check({ core: '/c', exe: '/nope' })), BridgeErrorCode.POLICY, 'an executable that cannot be resolved');
  t.match(p.refusal(13) ?? '', /PID 13 runs \/srv\/other, which is not in this bridge's --allow-exes list/);
});

t.test('--allow-pids, and all of them together', async (t) => {
  const p = policy({ allowPids: [10, 11] });
  t.equal(codeOf(() => p.check({ pid: 10 })), undefined);
  t.equal(codeOf(() => p.check({ pid: 13 })), BridgeErrorCode.POLICY);
  t.equal(codeOf(() => p.check({ ssh: 'h', pid: 10 })), BridgeErrorCode.POLICY);
  t.equal(codeOf(() => p.check({ core: '/c', exe: '/e' })), BridgeErrorCode.POLICY);
  const all = policy({ allowPids: [10, 11, 13], allowExes: ['/srv/app'], sameUid: true });
  t.equal(codeOf(() => all.check({ pid: 10 })), undefined, 'passes every rule');
  t.equal(codeOf(() => all.check({ pid: 11 })), BridgeErrorCode.POLICY, 'fails --same-uid');
  t.equal(codeOf(() => all.check({ pid: 13 })), BridgeErrorCode.POLICY, 'fails --allow-exes');
  t.equal(codeOf(() => all.check({ pid: 12 })), BridgeErrorCode.POLICY, 'fails --allow-pids');
});
