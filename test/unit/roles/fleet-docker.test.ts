// roles/docker/files/fleet-docker restart, run by the real sh against fake docker, systemctl
// and journalctl: when it restarts, when it refuses (quorum), what it says, and the rollback
// of a daemon.json docker does not start with.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = join(__dirname, '../../../roles/docker/files/fleet-docker');

interface World {
  /** "active true" = manager, "active false" = worker, "inactive" */
  swarm: string;
  managers?: string[]; // ManagerStatus of each manager: Leader, Reachable, Unreachable
  /** The daemon starts only with a config without this word. */
  refuses?: string;
  /** The running daemon started after daemon.json was written. */
  startedAfterConf?: boolean;
}

function run(world: World, conf: string, running?: string) {
  const d = mkdtempSync(join(tmpdir(), 'fleet-docker-'));
  const bin = join(d, 'bin');
  mkdirSync(bin);
  const state = join(d, 'state');
  mkdirSync(state);
  const log = join(d, 'log');
  writeFileSync(join(d, 'daemon.json'), conf);
  if (running !== undefined) writeFileSync(join(state, 'daemon.json.running'), running);
  const fake = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  const managers = (world.managers ?? []).join('\\n');
  fake('docker', `case "$1 $2" in
  "info --format") if [ -f ${d}/down ]; then exit 1; fi; echo "${world.swarm}";;
  "info ") [ -f ${d}/down ] && exit 1; exit 0;;
  "node ls") case "$*" in *-q*) printf "${managers}${managers ? '\\n' : ''}" | sed 's/.*/id/';; *) printf "${managers}${managers ? '\\n' : ''}";; esac;;
  "config create") if [ -f ${d}/lock ]; then exit 1; fi; touch ${d}/lock;;
  "config rm") rm -f ${d}/lock;;
  "config inspect") echo other;;
esac`);
  fake('systemctl', `case "$1" in
  is-active) [ -f ${d}/down ] && exit 3; exit 0;;
  show) ${world.startedAfterConf ? 'echo "Thu 2099-01-01 00:00:00 UTC"' : 'echo "Thu 2000-01-01 00:00:00 UTC"'};;
  restart) if [ -n "${world.refuses ?? ''}" ] && grep -q "${world.refuses ?? 'x'}" ${d}/daemon.json; then touch ${d}/down; exit 1; fi; rm -f ${d}/down; exit 0;;
esac
exit 0`);
  fake('journalctl', `echo "unable to configure the Docker daemon: the following directives don't match any configuration option: ${world.refuses ?? ''}"`);
  fake('hostname', 'echo m1');
  const r = spawnSync('sh', [SCRIPT, 'restart'], {
    encoding: 'utf8',
    env: { PATH: `${bin}:/usr/bin:/bin`, FLEET_DOCKER_CONF: join(d, 'daemon.json'), FLEET_DOCKER_STATE: state },
  });
  const calls = existsSync(log) ? readFileSync(log, 'utf8') : '';
  return { rc: r.status, stdout: r.stdout, stderr: r.stderr, calls, conf: readFileSync(join(d, 'daemon.json'), 'utf8'), lockLeft: existsSync(join(d, 'lock')), state };
}

describe('fleet-docker restart', () => {
  it('does not restart a docker that already runs this daemon.json (or started after it was written)', () => {
    const same = run({ swarm: 'inactive' }, '{"a":1}', '{"a":1}');
    expect(same).toMatchObject({ rc: 0, stdout: 'docker already runs with this daemon.json\n' });
    expect(same.calls).not.toContain('systemctl restart');
    const fresh = run({ swarm: 'inactive', startedAfterConf: true }, '{"a":1}');
    expect(fresh.stdout).toContain('no restart needed');
    expect(fresh.calls).not.toContain('systemctl restart');
  });

  it('restarts a worker, and records what docker now runs with', () => {
    const r = run({ swarm: 'active false' }, '{"b":2}', '{"a":1}');
    expect(r).toMatchObject({ rc: 0, stdout: 'docker restarted\n' });
    expect(r.calls).toContain('systemctl restart docker');
    expect(readFileSync(join(r.state, 'daemon.json.running'), 'utf8')).toBe('{"b":2}');
  });

  it('on the only manager it restarts and says the swarm cannot be managed meanwhile', () => {
    const r = run({ swarm: 'active true', managers: ['Leader'] }, '{"b":2}', '{"a":1}');
    expect(r.rc).toBe(0);
    expect(r.stdout).toMatch(/warning: this is the swarm's only manager/);
    expect(r.calls).toContain('systemctl restart docker');
  });

  it('a manager whose absence would break quorum refuses, saying why, and restarts nothing', () => {
    const r = run({ swarm: 'active true', managers: ['Leader', 'Reachable', 'Unreachable'] }, '{"b":2}', '{"a":1}');
    expect(r.rc).toBe(1);
    expect(r.stderr).toContain('2 of 3 managers are reachable, and with this one down the swarm would have 1, below its quorum of 2');
    expect(r.calls).not.toContain('systemctl restart');
    expect(r.lockLeft).toBe(false);
  });

  it('with quorum to spare, a manager restarts under the swarm-wide lock and releases it', () => {
    const r = run({ swarm: 'active true', managers: ['Leader', 'Reachable', 'Reachable'] }, '{"b":2}', '{"a":1}');
    expect(r.rc).toBe(0);
    expect(r.calls).toMatch(/docker config create fleet-docker-restart-lock[\s\S]*systemctl restart docker[\s\S]*docker config rm fleet-docker-restart-lock/);
    expect(r.lockLeft).toBe(false);
  });

  it('a daemon.json docker refuses is rolled back: the previous file is back, docker runs it, the failure says why', () => {
    const r = run({ swarm: 'active false', refuses: 'bogus' }, '{"bogus":1}', '{"a":1}');
    expect(r.rc).toBe(1);
    expect(r.stderr).toMatch(/docker did not start with the new daemon.json \(kept as .*daemon.json.refused\); the previous one is back/);
    expect(r.stderr).toContain("don't match any configuration option: bogus");
    expect(r.conf).toBe('{"a":1}');
    expect(readFileSync(join(r.state, 'daemon.json.refused'), 'utf8')).toBe('{"bogus":1}');
  });
});
