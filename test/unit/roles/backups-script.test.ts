// The backups role's host script, run for real with /bin/sh against a scratch tree: the
// configuration the role renders, with docker and restic replaced by recorders (the lab has
// no docker yet; the real restic runs in the integration test). What is checked here: docker
// volumes resolve to their mountpoints, container and command dumps land in the dump
// directory before the snapshot, hooks run in order, restic gets the right arguments, and a
// failing step leaves a failed status with its reason while keeping the last snapshot.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRole } from '../../../src/config/index.js';
import { renderTemplateFile } from '../../../src/template/index.js';

const ROLE = resolve('roles/backups');
const SCRIPT = join(ROLE, 'files/fleet-backups');

let root: string;
let bin: string;
let log: string;

const FAKE_DOCKER = `#!/bin/sh
echo "docker $*" >> "$FAKE_LOG"
case "$1 $2" in
"volume inspect")
  eval "last=\\\${$#}"
  [ -d "$FAKE_VOLUMES/$last" ] || { echo "Error: No such volume: $last" >&2; exit 1; }
  echo "$FAKE_VOLUMES/$last" ;;
"exec pg")
  echo "PGDUMP of the last argument: $(eval "echo \\\${$#}")" ;;
*) exit 2 ;;
esac
`;
const FAKE_RESTIC = `#!/bin/sh
echo "restic $*" >> "$FAKE_LOG"
for a in "$@"; do
  case $a in backup) ;; esac
done
case " $* " in
*" backup "*)
  while [ $# -gt 0 ]; do [ "$1" = --files-from-verbatim ] && cp "$2" "$FAKE_PATHS"; shift; done
  echo '{"message_type":"status","percent_done":0.5}'
  echo '{"message_type":"summary","files_new":3,"data_added":1234,"total_files_processed":3,"total_bytes_processed":5678,"snapshot_id":"0123abcd"}' ;;
esac
exit 0
`;

function render(vars: Record<string, unknown>): void {
  const role = loadRole(ROLE);
  const ctx = { ...role.defaults, inventory_hostname: 'h1', backups_repository: '/srv/repo', ...vars };
  mkdirSync(join(root, 'etc/fleet-backups'), { recursive: true });
  writeFileSync(join(root, 'etc/fleet-backups/config'), renderTemplateFile(join(ROLE, 'templates/config.hbs'), ctx));
  writeFileSync(join(root, 'etc/fleet-backups/excludes'), renderTemplateFile(join(ROLE, 'templates/excludes.hbs'), ctx));
}

function run(...args: string[]) {
  const r = spawnSync('/bin/sh', [SCRIPT, ...args], {
    encoding: 'utf8',
    env: { PATH: `${bin}:${process.env.PATH}`, FLEET_BACKUPS_ROOT: root, FAKE_LOG: log, FAKE_VOLUMES: join(root, 'volumes'), FAKE_PATHS: join(root, 'paths-seen') },
  });
  return { rc: r.status, out: r.stdout, err: r.stderr };
}

const status = () => readFileSync(join(root, 'var/lib/fleet-backups/status'), 'utf8');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'fleet-backups-'));
  bin = join(root, 'bin');
  log = join(root, 'calls.log');
  mkdirSync(bin);
  writeFileSync(join(bin, 'docker'), FAKE_DOCKER);
  writeFileSync(join(bin, 'restic'), FAKE_RESTIC);
  chmodSync(join(bin, 'docker'), 0o755);
  chmodSync(join(bin, 'restic'), 0o755);
  mkdirSync(join(root, 'volumes/matrix_media'), { recursive: true });
  mkdirSync(join(root, 'data'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('fleet-backups run', () => {
  it('hooks, container and command dumps, docker volumes, then one snapshot, retention and the status', () => {
    render({
      backups_paths: [join(root, 'data')],
      backups_docker_volumes: ['matrix_media'],
      backups_postgres: [{ name: 'synapse', database: 'synapse', container: 'pg', user: 'synapse_user' }],
      backups_dumps: [{ name: 'notes', command: `printf "it's a dump\\n"` }],
      backups_hooks_before: [`echo before >> ${log}`],
      backups_hooks_after: [`echo after >> ${log}`],
      backups_keep_daily: 3,
      backups_keep_weekly: 0,
      backups_keep_monthly: 2,
      backups_check_every_days: 0,
    });
    const r = run('run');
    expect(r.rc, r.err).toBe(0);
    const calls = readFileSync(log, 'utf8').split('\n');
    const at = (re: RegExp) => calls.findIndex((l) => re.test(l));
    // Order: hook before, dumps, volume lookup, snapshot, hook after, retention.
    expect(at(/^before$/)).toBeLessThan(at(/^docker exec pg pg_dump -U synapse_user -Fc synapse$/));
    expect(at(/^docker exec pg/)).toBeLessThan(at(/^docker volume inspect --format \{\{ \.Mountpoint \}\} matrix_media$/));
    expect(at(/^docker volume inspect/)).toBeLessThan(at(/^restic backup /));
    expect(at(/^restic backup /)).toBeLessThan(at(/^after$/));
    expect(at(/^after$/)).toBeLessThan(at(/^restic forget --prune --host h1 --group-by host --keep-daily 3 --keep-monthly 2$/));
    expect(calls.find((l) => / backup /.test(l))).toMatch(/^restic backup --json --host h1 --tag fleet --exclude-file \S+\/etc\/fleet-backups\/excludes --files-from-verbatim \S+ --exclude-caches$/);
    expect(calls.some((l) => /restic check/.test(l))).toBe(false);
    // What the snapshot was given: the paths, the volume's data, and the dumps.
    expect(readFileSync(join(root, 'paths-seen'), 'utf8')).toBe(`${join(root, 'data')}\n${join(root, 'volumes/matrix_media')}\n${join(root, 'var/lib/fleet-backups/dumps')}\n`);
    expect(readFileSync(join(root, 'var/lib/fleet-backups/dumps/synapse.pgdump'), 'utf8')).toBe('PGDUMP of the last argument: synapse\n');
    expect(readFileSync(join(root, 'var/lib/fleet-backups/dumps/notes.dump'), 'utf8')).toBe("it's a dump\n");
    expect(status()).toMatch(/^last_run_result=ok$/m);
    expect(status()).toMatch(/^last_snapshot_id='0123abcd'$/m);
    expect(status()).toMatch(/^last_snapshot_bytes=5678$/m);
    expect(status()).toMatch(/^last_snapshot_added=1234$/m);
    expect(readFileSync(join(root, 'etc/fleet-backups/excludes'), 'utf8')).toContain('**/.cache\n');
  });

  it('a missing docker volume fails the run before any snapshot, and the last good snapshot is kept', () => {
    render({ backups_paths: [join(root, 'data')], backups_check_every_days: 0 });
    expect(run('run').rc).toBe(0);
    render({ backups_paths: [join(root, 'data')], backups_docker_volumes: ['gone'], backups_check_every_days: 0 });
    writeFileSync(log, '');
    const r = run('run');
    expect(r.rc).toBe(1);
    expect(readFileSync(log, 'utf8')).not.toMatch(/ backup /);
    expect(status()).toMatch(/^last_run_result=failed$/m);
    expect(status()).toMatch(/^last_run_message='docker volume gone: Error: No such volume: gone'$/m);
    expect(status()).toMatch(/^last_snapshot_id='0123abcd'$/m);
  });

  it('a declared path that does not exist fails the run, naming it', () => {
    render({ backups_paths: [join(root, 'nope')] });
    expect(run('run').rc).toBe(1);
    expect(status()).toMatch(new RegExp(`^last_run_message='declared path ${join(root, 'nope')} does not exist'$`, 'm'));
  });

  it('restore-db of a name that is not declared says which are', () => {
    render({ backups_postgres: [{ name: 'synapse', database: 'synapse' }] });
    const r = run('restore-db', 'nope');
    expect(r.rc).toBe(1);
    expect(r.err).toContain("no database dump named 'nope' is declared for this host (declared: synapse)");
  });
});

describe('fleet-backups and the repository lock', () => {
  // restic that finds the repository locked for its first LOCKED_TIMES exclusive calls.
  const LOCKED_RESTIC = `#!/bin/sh
echo "restic $*" >> "$FAKE_LOG"
case " $* " in
*" --no-lock key list "*) echo "*aaaa1111  root  h1  2026-12-04 10:00:00"; echo " bbbb2222  root  h1  2026-12-01 10:00:00" ;;
*" --no-lock "*) ;;
*" unlock "*) ;;
*" key remove "*)
  n=$(cat "$FAKE_COUNT" 2>/dev/null || echo 0)
  if [ "$n" -lt "$LOCKED_TIMES" ]; then
    echo $((n + 1)) > "$FAKE_COUNT"
    printf 'unable to create lock in backend: repository is already locked by PID 2701 on h1 by root\n' >&2
    exit 1
  fi ;;
esac
exit 0
`;
  function retire(lockedTimes: number, lockWait: string) {
    writeFileSync(join(bin, 'restic'), LOCKED_RESTIC);
    render({});
    mkdirSync(join(root, 'var/lib/fleet-backups'), { recursive: true });
    writeFileSync(join(root, 'etc/fleet-backups/password'), 'pw\n');
    writeFileSync(join(root, 'var/lib/fleet-backups/retired-key'), 'bbbb2222\n');
    const r = spawnSync('/bin/sh', [SCRIPT, 'retire-key'], {
      encoding: 'utf8',
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        FLEET_BACKUPS_ROOT: root,
        FAKE_LOG: log,
        FAKE_COUNT: join(root, 'count'),
        LOCKED_TIMES: String(lockedTimes),
        FLEET_BACKUPS_LOCK_POLL: '0',
        BACKUPS_LOCK_WAIT: lockWait,
      },
    });
    return { rc: r.status, err: r.stderr, calls: readFileSync(log, 'utf8') };
  }

  it('a key change waits while another restic holds the lock (stale locks removed), then succeeds', () => {
    const r = retire(2, '600');
    expect(r.rc, r.err).toBe(0);
    expect(r.err).toMatch(/locked by another restic run; waiting/);
    expect(r.calls.match(/ key remove bbbb2222/g)).toHaveLength(3);
    expect(r.calls.match(/ unlock$/gm)).toHaveLength(2);
    expect(r.err).toContain('removed the key of the rotated-out password (bbbb2222)');
  });

  it('a lock that outlasts BACKUPS_LOCK_WAIT fails with restic\'s own message, and the key id is kept', () => {
    const r = retire(1000, '0');
    expect(r.rc).toBe(1);
    expect(r.err).toContain('repository is already locked by PID 2701');
    expect(r.err).toContain('retire-key: restic key remove bbbb2222 failed');
    expect(readFileSync(join(root, 'var/lib/fleet-backups/retired-key'), 'utf8')).toBe('bbbb2222\n');
  });
});
