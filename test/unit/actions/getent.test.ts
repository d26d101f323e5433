// getent (Ansible's): the probe runs in a real shell here; the facts and failures are Ansible's.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { getent, getentProbe, parseGetent } from '../../../src/actions/getent.js';
import type { ActionContext, ActionPorts } from '../../../src/model/action.js';

const probe = (p: Parameters<typeof getentProbe>[0]) => {
  const r = spawnSync('sh', ['-c', getentProbe(p)], { encoding: 'utf8' });
  return { rc: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
};
const run = (p: Parameters<typeof getentProbe>[0]) => getent.run(p, { probed: probe(p) } as unknown as ActionContext, {} as ActionPorts);

describe('getent', () => {
  it('a key: its fields after the first, as getent_DATABASE (and under ansible_facts)', async () => {
    const p = { database: 'passwd', key: 'root', fail_key: true };
    const r = await run(p);
    expect(r.status).toBe('ok');
    expect(r.facts).toEqual({ getent_passwd: { root: ['x', '0', '0', 'root', '/root', expect.stringMatching(/^\//)] } });
    expect(r.registered).toEqual({ ansible_facts: r.facts });
  });

  it("a missing key fails with Ansible's message (a rescue may take over); fail_key: false gives it as null", async () => {
    const r = await run({ database: 'passwd', key: 'fleet-no-such-user', fail_key: true });
    expect(r).toMatchObject({ status: 'failed', failure: { msg: 'One or more supplied key could not be found in the database.', rc: 2 } });
    const soft = await run({ database: 'passwd', key: 'fleet-no-such-user', fail_key: false });
    expect(soft).toMatchObject({ status: 'ok', facts: { getent_passwd: { 'fleet-no-such-user': null } } });
  });

  it("splits on ':' for passwd/group/shadow, on whitespace otherwise, or on `split`; the first entry of a key wins", () => {
    const out = '127.0.0.1 localhost\n127.0.0.1   other\n::1 localhost ip6-localhost\n';
    expect(parseGetent({ database: 'hosts', fail_key: true }, out).entries).toEqual({ '127.0.0.1': ['localhost'], '::1': ['localhost', 'ip6-localhost'] });
    expect(parseGetent({ database: 'group', fail_key: true }, 'adm:x:4:syslog\n').entries).toEqual({ adm: ['x', '4', 'syslog'] });
    expect(parseGetent({ database: 'services', split: '/', fail_key: true }, 'ssh/22\n').entries).toEqual({ ssh: ['22'] });
  });
});
