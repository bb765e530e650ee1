// bridge/server/host-check.ts: which Host names the bridge answers for (DNS rebinding).
import t from 'tap';
import { HostCheck, hostName } from '../../bridge/server/host-check.ts';

t.test('host names from Host headers', async (t) => {
  t.equal(hostName('LocalHost:7070'), 'localhost');
  t.equal(hostName('[::1]:7070'), '::1');
  t.equal(hostName('127.0.0.1'), '127.0.0.1');
  t.equal(hostName('bridge.example.:80'), 'bridge.example', 'a trailing dot is the same name');
  t.equal(hostName('a:b:c'), undefined, 'not a host');
  t.equal(hostName(''), undefined);
});

t.test('allowed: IP literals, localhost, the listen host, --allow-hosts; nothing else', async (t) => {
  const h = new HostCheck('0.0.0.0', ['mon.lan']);
  for (const ok of ['127.0.0.1', '10.1.2.3', '::1', 'localhost', 'app.localhost', 'mon.lan']) t.ok(h.allowsName(ok), ok);
  for (const no of ['attacker.example', 'localhost.attacker.example', 'mon.lan.attacker.example', 'lan']) t.notOk(h.allowsName(no), no);
  t.ok(new HostCheck('Bridge.Example').allowsName('bridge.example'), 'a named listen host');
});

t.test('requests: the Host header decides; a request without one is not a browser\'s', async (t) => {
  const h = new HostCheck('127.0.0.1');
  const req = (host?: string) => ({ headers: host === undefined ? {} : { host } }) as never;
  t.ok(h.allows(req('127.0.0.1:7070')));
  t.ok(h.allows(req('localhost:7070')));
  t.notOk(h.allows(req('attacker.example:7070')), 'the rebinding name');
  t.notOk(h.allows(req('attacker.example')));
  t.notOk(h.allows(req('not a host')));
  t.ok(h.allows(req(undefined)));
});
