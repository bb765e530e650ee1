// Target-harm matrix (test/support/harm.ts) over gdbserver and an SSH tunnel: the bridge
// reads {ssh, pid} from a private sshd on loopback, consistently at 10 ms (every sample
// stops the target through gdbserver). After each case nothing of ours is left on the
// "remote" side (no gdbserver, no sshd session).
import t from 'tap';
import { bridgeWay, runHarmMatrix } from '../support/harm.ts';
import { until } from '../../scripts/kit/time.ts';
import { ALIAS, sshClientsUsing, startSshd } from '../../scripts/kit/sshd.ts';

t.setTimeout(900_000);
const host = await startSshd(t);
const way = bridgeWay('gdbserver-ssh', 'consistent', { refOf: (g) => ({ ssh: ALIAS.ok, pid: g.pid }), bridge: { sshConfig: host.config } });
await runHarmMatrix(t, {
  name: way.name,
  async start(tt, target) {
    const r = await way.start(tt, target);
    return {
      ...r,
      stop: async () => {
        await r.stop();
        const clean = await until(() => sshClientsUsing(host.config).length === 0 && host.descendants().length === 0, 15_000);
        tt.ok(clean, `gdbserver-ssh: nothing left on either side (${JSON.stringify({ ssh: sshClientsUsing(host.config).map((c) => c.pid), remote: host.descendants() })})`);
      },
    };
  },
});
