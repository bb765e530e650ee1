// Attaching, detaching and selecting targets. Local attach is the non-stop background form
// (`attach PID &`), which stops no thread; `-target-attach` (which stops every thread) is
// only for remote targets, followed at once by execContinueAll.
import type { MiSender } from '../channel.ts';
import type { MiClient, MiReply, SendOptions } from '../client.ts';
import { CliText, rawArg } from '../escape.ts';
import { CallSite, MiError, MiErrorCode } from '../errors.ts';
import { interpreterExecConsole } from './console.ts';

function checkPid(pid: number): number {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`not a process id: ${pid}`);
  return pid;
}

/** Non-stop local attach that never stops a thread. Resolves when gdb reports the inferior. */
export async function attachInBackground(c: MiClient, pid: number, opts?: SendOptions): Promise<void> {
  checkPid(pid);
  c.watchTarget(pid);
  const timeoutMs = opts?.timeoutMs ?? 30_000;
  const started = c.waitForAsync(
    (r) => r.kind === 'notify' && r.class === 'thread-group-started' && r.results.pid === String(pid),
    timeoutMs,
    `attach to ${pid}`,
  );
  started.catch(() => undefined);
  await interpreterExecConsole(c, `attach ${pid} &`, { timeoutMs });
  await started;
}

/**
 * `-target-attach PID`: stops every thread (non-stop) — remote targets only. The PID is on
 * another host, so the local supervisor must not watch it (it would SIGCONT a local namesake).
 */
export async function targetAttach(c: MiSender, pid: number, opts?: SendOptions): Promise<void> {
  await c.send('-target-attach', [rawArg(checkPid(pid))], { timeoutMs: 30_000, ...opts });
}

/** `-target-detach [PID]`: the process keeps running. */
export async function targetDetach(c: MiClient, pid?: number, opts?: SendOptions): Promise<void> {
  await c.send('-target-detach', pid === undefined ? [] : [rawArg(checkPid(pid))], opts);
  if (pid !== undefined) c.unwatchTarget(pid);
}

export type TargetKind = 'extended-remote' | 'remote' | 'core';

/**
 * `-target-select KIND PARAM` → ^connected. PARAM is host:port or a core file path. gdb 13
 * hands the text to the CLI `target` command unparsed, and `target core` takes the rest of
 * the line as the file name (quotes and backslashes would become part of it), so the path
 * goes verbatim: absolute, one line, no surrounding blanks.
 */
export async function targetSelect(c: MiSender, kind: TargetKind, param: string, opts?: SendOptions): Promise<void> {
  const site = new CallSite(targetSelect);
  const ok = kind === 'core' ? /^\/.*\S$/.test(param) : /^[A-Za-z0-9.-]+:[0-9]{1,5}$|^\[[0-9A-Fa-f:.]+\]:[0-9]{1,5}$/.test(param);
  if (!ok) throw new MiError(MiErrorCode.BAD_ARGUMENT, `-target-select ${kind}: bad parameter ${JSON.stringify(param)}`);
  const reply = await c.send('-target-select', [rawArg(kind), CliText.of(param)], { timeoutMs: 30_000, ...opts });
  const err = targetSelectReplyError(kind, reply);
  if (err) throw site.attach(err);
}

/**
 * gdb 13 answers a successful `-target-select` with ^connected for every kind we use
 * (remote, extended-remote and core alike: test/fixtures/mi/target-select.mi). Any other
 * class means we are not connected to what we asked for (e.g. ^done from a command that
 * did something else), so the caller must not go on to attach or read.
 */
export function targetSelectReplyError(kind: TargetKind, reply: MiReply): MiError | undefined {
  if (reply.record.class === 'connected') return undefined;
  return new MiError(MiErrorCode.BAD_REPLY, `-target-select ${kind}: expected ^connected, got ^${reply.record.class}`, {
    context: { class: reply.record.class, results: reply.record.results },
  });
}
