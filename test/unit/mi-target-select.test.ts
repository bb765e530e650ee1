// targetSelect accepts only ^connected, checked with the replies real gdb 13 gave to
// -target-select core / remote / extended-remote (test/fixtures/mi/target-select.mi).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { MiClient, MiReply } from '../../bridge/mi/client.ts';
import { targetSelect, targetSelectReplyError, type TargetKind } from '../../bridge/mi/commands/target.ts';
import { MiError } from '../../bridge/mi/errors.ts';
import { parseLine } from '../../bridge/mi/parser.ts';
import type { MiResultRecord } from '../../bridge/mi/records.ts';

interface Recorded {
  kind: TargetKind;
  param: string;
  record: MiResultRecord;
}

/** Each -target-select sent in the recording, with the result record of its token. */
function recorded(): Recorded[] {
  const lines = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'mi', 'target-select.mi'), 'utf8').split('\n');
  const sent = new Map<string, { kind: TargetKind; param: string }>();
  const out: Recorded[] = [];
  for (const line of lines) {
    const m = /^-> (\d+)-target-select (core|remote|extended-remote) (.*)$/.exec(line);
    if (m) {
      sent.set(m[1]!, { kind: m[2] as TargetKind, param: m[3]! });
      continue;
    }
    // Each session (a new gdb) numbers its tokens from 1 again.
    if (line.startsWith('# ---')) sent.clear();
    if (line.startsWith('#') || line.startsWith('-> ')) continue;
    const r = parseLine(line);
    if (r.kind === 'result' && r.token !== undefined && sent.has(r.token)) {
      out.push({ ...sent.get(r.token)!, record: r });
      sent.delete(r.token);
    }
  }
  return out;
}

const reply = (record: MiResultRecord): MiReply => ({ record, console: [], log: [] });

/** Just enough of a client to hand a recorded reply to the wrapper. */
const replying = (record: MiResultRecord): MiClient => ({ send: async () => reply(record) }) as unknown as MiClient;

const all = recorded();

t.test('the recording has a successful connect of every kind, and failures', async (t) => {
  for (const kind of ['core', 'remote', 'extended-remote'] as const) {
    const ok = all.filter((r) => r.kind === kind && r.record.class !== 'error');
    t.ok(ok.length > 0, `${kind}: recorded success`);
    t.same(
      ok.map((r) => r.record.class),
      ok.map(() => 'connected'),
      `${kind}: gdb 13 answers ^connected`,
    );
  }
  t.ok(all.some((r) => r.record.class === 'error'), 'recorded failures answer ^error');
});

t.test('recorded ^connected replies are accepted', async (t) => {
  for (const r of all.filter((r) => r.record.class === 'connected')) {
    t.equal(targetSelectReplyError(r.kind, reply(r.record)), undefined, `${r.kind} ${r.param}`);
    await t.resolves(targetSelect(replying(r.record), r.kind, r.kind === 'core' ? '/x/core' : '127.0.0.1:1'));
  }
});

t.test('any other class is a coded error thrown at the caller', async (t) => {
  for (const r of all.filter((r) => r.record.class === 'connected')) {
    for (const cls of ['done', 'running', 'exit'] as const) {
      const other: MiResultRecord = { ...r.record, class: cls };
      const e = targetSelectReplyError(r.kind, reply(other));
      t.type(e, MiError);
      t.equal(e?.code, 'MI_ERR_BAD_REPLY', `${r.kind} ^${cls}`);
      t.match(e?.message, new RegExp(`-target-select ${r.kind}: expected \\^connected, got \\^${cls}`));
      const thrown = await targetSelect(replying(other), r.kind, r.kind === 'core' ? '/x/core' : '127.0.0.1:1').catch((err: unknown) => err);
      t.match(thrown, { code: 'MI_ERR_BAD_REPLY' }, `targetSelect rejects ${r.kind} ^${cls}`);
      t.match((thrown as Error).stack, /mi-target-select\.test\.ts/, 'its stack points at the caller');
    }
  }
});
