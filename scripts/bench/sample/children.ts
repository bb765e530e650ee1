// The child processes bench-sample runs (gdb -batch, the CLI, gdb --version), each in a process
// group of its own so that it and whatever it starts can be killed together.
import { spawn, type ChildProcess } from 'node:child_process';
import { ROOT } from '../baseline.ts';

const children = new Set<ChildProcess>();

function killGroup(c: ChildProcess, sig: NodeJS.Signals): void {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, sig); // the group this script created for it (detached: true)
  } catch {
    /* gone */
  }
}

/** Kills every child still running (at cleanup). */
export function killChildren(): void {
  for (const c of children) killGroup(c, 'SIGKILL');
}

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.add(c);
    let stdout = '';
    let stderr = '';
    c.stdout!.on('data', (d: Buffer) => (stdout += d));
    c.stderr!.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => killGroup(c, 'SIGKILL'), timeoutMs);
    c.on('error', (err) => {
      clearTimeout(timer);
      children.delete(c);
      reject(err);
    });
    c.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(c);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
