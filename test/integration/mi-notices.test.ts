// Thread notices (`~"[New LWP n]\n"`, `~"[LWP n exited]\n"`) that gdb prints on its own
// never end up in a command's console output, against real gdb and real threads.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import t from 'tap';
import { interpreterExecConsole } from '../../bridge/mi/commands/console.ts';
import { fileExecAndSymbols } from '../../bridge/mi/commands/file.ts';
import { attachInBackground } from '../../bridge/mi/commands/target.ts';
import { openTestGdb } from '../support/gdb.ts';
import { GoTarget } from '../../scripts/kit/go-target.ts';
import { fixture } from '../../scripts/kit/fixtures.ts';
import { sleep } from '../../scripts/kit/time.ts';

const NOTICE = /\[New (?:LWP|Thread) |\[(?:LWP|Thread) [^\]]* exited\]/;

t.test('attach: the [New LWP n] lines printed while `attach PID &` runs are not its output', async (t) => {
  // Recorded behaviour (test/fixtures/mi/attach-read-detach.mi): one notice per thread of the
  // target arrives before the attach command's ^done.
  const target = await GoTarget.start(fixture());
  t.teardown(() => target.stop());
  const gdb = await openTestGdb(t);
  const notices: string[] = [];
  gdb.on('stream', (r) => {
    if (r.kind === 'console' && NOTICE.test(r.text)) notices.push(r.text);
  });
  await fileExecAndSymbols(gdb, `/proc/${target.pid}/exe`);
  gdb.watchTarget(target.pid);
  const started = gdb.waitForAsync((r) => r.class === 'thread-group-started', 30_000);
  const attach = await interpreterExecConsole(gdb, `attach ${target.pid} &`);
  await started;
  t.ok(notices.length > 0, `gdb printed thread notices during the attach (${notices.length}), still seen as stream events`);
  t.match(attach.output, /^Attaching to program: .*, process \d+\n/, 'the attach’s own output is kept');
  t.notMatch(attach.output, NOTICE, 'no thread notice in it');
});

/**
 * A Go program that keeps replacing OS threads: a goroutine that returns while locked to its
 * thread takes the thread with it, and the runtime starts a new one. Built here (no fixture
 * program does this); exits on stdin EOF or after 60 s.
 */
const CHURN_GO = `package main

import (
	"fmt"
	"os"
	"runtime"
	"time"
)

func main() {
	go func() {
		b := make([]byte, 1)
		os.Stdin.Read(b)
		os.Exit(0)
	}()
	fmt.Println("ready")
	end := time.Now().Add(60 * time.Second)
	for time.Now().Before(end) {
		done := make(chan struct{})
		go func() { runtime.LockOSThread(); close(done) }()
		<-done
		time.Sleep(5 * time.Millisecond)
	}
}
`;

t.test('thread notices arriving while pipelined commands are pending stay out of their output', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mstat-churn-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'go.mod'), 'module churn\n\ngo 1.21\n');
  writeFileSync(join(dir, 'main.go'), CHURN_GO);
  await execa('go', ['build', '-o', 'churn', '.'], { cwd: dir, env: { GOTOOLCHAIN: 'local', CGO_ENABLED: '0' }, timeout: 120_000 });

  const child = spawn(join(dir, 'churn'), [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  t.teardown(async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', () => resolve());
    child.once('exit', (code) => reject(new Error(`churn exited early (${code})`)));
  });

  const gdb = await openTestGdb(t, { timeoutMs: 30_000 });
  await fileExecAndSymbols(gdb, `/proc/${child.pid}/exe`);
  await attachInBackground(gdb, child.pid!);

  // Keep four layout commands in flight for a while, as layout resolution does.
  let inFlight = 0;
  let noticesWhilePending = 0;
  gdb.on('stream', (r) => {
    if (r.kind === 'console' && NOTICE.test(r.text) && inFlight > 0) noticesWhilePending++;
  });
  const outputs: string[] = [];
  const end = Date.now() + 1500;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      inFlight++;
      try {
        outputs.push((await interpreterExecConsole(gdb, "ptype/o 'runtime.heapStatsDelta'")).output);
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await sleep(50);

  t.ok(noticesWhilePending >= 5, `thread notices arrived while commands were pending (${noticesWhilePending})`);
  t.ok(outputs.length >= 20, `${outputs.length} commands answered`);
  const polluted = outputs.filter((o) => NOTICE.test(o));
  t.same(polluted.slice(0, 1), [], `no command output holds a thread notice (${polluted.length} of ${outputs.length} did)`);
  const first = outputs[0] ?? '';
  t.match(first, /^type = struct runtime\.heapStatsDelta \{\n/, 'output is the ptype/o text');
  t.ok(outputs.every((o) => o === first), 'every answer to the same command is identical');
});
