// The admin keys riding in the script that creates their user (authorized_key.ts
// predictAuthorizedKeyWritten, pipeline.ts): planned from the answer the probe gives once
// useradd made the user, with the uid, gid, gecos and shell left open (OPEN), behind a guard
// that checks the rest in a real shell (a fake getent stands for the new user) and leaves the
// divergence flag when it does not hold; the apply names the owner by the user's name.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIVERGED, DIVERGED_MARK, guardedSection, lookahead, type LookaheadPorts } from '../../../src/engine/pipeline.js';
import type { PlayProgram } from '../../../src/engine/program.js';
import { writtenBy } from '../../../src/engine/written-by.js';
import { OPEN } from '../../../src/model/module.js';
import {
  applyAuthorizedKey,
  planAuthorizedKey,
  predictAuthorizedKeyWritten,
  probeAuthorizedKey,
  type AuthorizedKeyParams,
} from '../../../src/modules/authorized_key.js';
import { play, task } from './fixtures.js';
import { lookaheadPorts } from './lookahead-ports.js';
import { shWithBin } from './path-shell.js';

// A user whose /home/USER does not exist on the machine running the tests: its ~/.ssh is absent.
const USER = 'fleetnouser9';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG0sx1bC6nJr7xkq admin@laptop';
const params: AuthorizedKeyParams = { user: USER, key: [KEY], state: 'present', exclusive: true };

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleet-user-rider-'));
  mkdirSync(join(tmp, 'bin'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** getent answering `passwd USER` with `line` (none: the user does not exist). */
function getent(line: string | undefined): void {
  const body = line === undefined ? 'exit 2' : `[ "$2" = ${USER} ] && printf '%s\\n' '${line}' && exit 0; exit 2`;
  writeFileSync(join(tmp, 'bin/getent'), `#!/bin/sh\n${body}\n`);
  chmodSync(join(tmp, 'bin/getent'), 0o755);
}
const sh = (text: string) => shWithBin(join(tmp, 'bin'), text);
const written = new Set([`user:${USER}`]);

describe('authorized_key riding after its user is created', () => {
  it('is planned from the answer the probe gives once the user exists: the same plan as a probe taken then', () => {
    getent(undefined);
    const before = sh(probeAuthorizedKey(params)).stdout;
    expect(planAuthorizedKey(params, before).kind).toBe('blocked');
    // Only after a user task made this user, and only from the user=absent answer.
    expect(predictAuthorizedKeyWritten(params, before, new Set(['user:other']))).toBeUndefined();
    expect(predictAuthorizedKeyWritten(params, before, new Set([`/home/${USER}`]))).toBeUndefined();
    const predicted = predictAuthorizedKeyWritten(params, before, written)!;
    expect(predictAuthorizedKeyWritten(params, predicted, written)).toBeUndefined();
    getent(`${USER}:x:1234:1235:Admin:/home/${USER}:/bin/bash`);
    const after = sh(probeAuthorizedKey(params)).stdout;
    // The answer then, but for the values left open.
    expect(predicted.split(OPEN).length).toBe(5);
    expect(after).toBe(predicted.replace(OPEN, '1234').replace(OPEN, '1235').replace(OPEN, 'Admin').replace(OPEN, '/bin/bash'));
    const plan = planAuthorizedKey(params, predicted);
    const real = planAuthorizedKey(params, after);
    if (plan.kind !== 'change' || real.kind !== 'change') throw new Error('expected changes');
    // Summary and diff as from the real answer (no open value printed); the owner left open.
    expect([plan.summary, plan.diff]).toEqual([real.summary, real.diff]);
    expect(plan.summary).toBe(`/home/${USER}/.ssh/authorized_keys: add 1 key(s)`);
    expect(plan.data).toEqual({ ...real.data, uid: undefined, gid: undefined });
    expect(JSON.stringify(plan)).not.toContain(OPEN);
  });

  for (const [name, line, applies] of [
    ['the user as predicted (any uid, gid, gecos, shell)', `${USER}:x:1001:1001::/home/${USER}:/bin/sh`, true],
    ['another home: the guard stops the script', `${USER}:x:1001:1001::/srv/${USER}:/bin/sh`, false],
    ['no user after all: the guard stops the script', undefined, false],
  ] as const) {
    it(`its guard, in a real shell: ${name}`, () => {
      getent(undefined);
      const predicted = predictAuthorizedKeyWritten(params, sh(probeAuthorizedKey(params)).stdout, written)!;
      getent(line);
      const guard = guardedSection(probeAuthorizedKey(params), { stdout: predicted, rc: 0, stderr: '' }, 'echo applied', true).text;
      const r = sh(`set -e\nT=${tmp}\n${guard}`);
      if (applies) {
        expect(r).toEqual({ rc: 0, stdout: 'applied\n' });
      } else {
        expect(r).toEqual({ rc: DIVERGED, stdout: `${DIVERGED_MARK}\n` });
        // The divergence flag script.ts reads to skip what follows.
        expect(statSync(join(tmp, 'd')).isFile()).toBe(true);
      }
    });
  }

  it('its guard takes no other line for an open value', () => {
    getent(undefined);
    const predicted = predictAuthorizedKeyWritten(params, sh(probeAuthorizedKey(params)).stdout, written)!;
    // The answer with ~/.ssh there: the literal text after the open shell differs.
    const moved = predicted.replace('dir_type=absent', 'dir_type=directory');
    getent(`${USER}:x:1001:1001::/home/${USER}:/bin/sh`);
    const guard = guardedSection(probeAuthorizedKey(params), { stdout: moved, rc: 0, stderr: '' }, 'echo applied', true).text;
    expect(sh(`set -e\nT=${tmp}\n${guard}`)).toEqual({ rc: DIVERGED, stdout: `${DIVERGED_MARK}\n` });
  });

  it('a NUL in an answer not predicted with open values is compared as it is (no wildcard)', () => {
    const text = guardedSection('printf x', { stdout: `a${OPEN}b`, rc: 0, stderr: '' }, 'echo applied').text;
    expect(text).not.toContain('case ');
    expect(guardedSection('printf x', { stdout: `a${OPEN}b`, rc: 0, stderr: '' }, 'echo applied', true).text).toContain('case ');
  });

  it('refuses to plan from an open owner when ~/.ssh is there (it would compare it)', () => {
    getent(undefined);
    const predicted = predictAuthorizedKeyWritten(params, sh(probeAuthorizedKey(params)).stdout, written)!;
    expect(() => planAuthorizedKey(params, predicted.replace('file_type=absent', 'file_type=file'))).toThrow(/open/);
  });

  it('its apply gives ~/.ssh to the user and its login group, resolved on the host', () => {
    const plan = planAuthorizedKey(
      params,
      `user=present\npasswd=${USER}:x:${OPEN}:${OPEN}:${OPEN}:${tmp}/home:${OPEN}\ndir_type=absent\nfile_type=absent\n`,
    );
    if (plan.kind !== 'change') throw new Error('expected a change');
    mkdirSync(join(tmp, 'home'));
    // nobody and its login group (nogroup) stand for the new user.
    const text = applyAuthorizedKey('nobody', plan);
    expect(text).toContain('chown -- nobody: "$tmp"');
    if (process.getuid?.() !== 0) return;
    const r = sh(`set -e\n${text}`);
    expect(r.rc).toBe(0);
    const file = statSync(join(tmp, 'home/.ssh/authorized_keys'));
    const nobody = execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim();
    const group = execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim();
    expect([String(file.uid), String(file.gid), (file.mode & 0o777).toString(8)]).toEqual([nobody, group, '600']);
    expect((statSync(join(tmp, 'home/.ssh')).mode & 0o777).toString(8)).toBe('700');
    expect(readFileSync(join(tmp, 'home/.ssh/authorized_keys'), 'utf8')).toBe(`${KEY}\n`);
  });

  it('lookahead plans the keys in the script of the change that creates their user, not after another change', () => {
    getent(undefined);
    const absent = { stdout: sh(probeAuthorizedKey(params)).stdout, stderr: '', rc: 0 };
    const keys = task('authorize the admin keys', 'authorized_key', { user: USER, key: [KEY], exclusive: true });
    const ports = (w: readonly string[]): LookaheadPorts =>
      lookaheadPorts({
        cached: () => absent,
        written: w,
      });
    const create = task('create the admin user', 'user', { name: USER, state: 'present' });
    const program: PlayProgram = {
      play: play([create, keys]),
      playIndex: 0,
      units: [create, keys].map((t, index) => ({ task: t, index })),
      handlers: [],
    };
    const made = writtenBy('user', [`user:${USER}`]);
    const ahead = lookahead(program, program.units[0], ports(made)).ahead;
    expect(ahead.map((a) => a.unit.task.name)).toEqual(['authorize the admin keys']);
    expect(ahead[0].planned.stdout).toBe(predictAuthorizedKeyWritten(params, absent.stdout, written));
    expect(ahead[0].withOpen).toBe(true);
    // Another module's resource of the same name makes no user: the keys wait for their own probe.
    expect(writtenBy('authorized_key', [`user:${USER}`])).toEqual([]);
    expect(lookahead(program, program.units[0], ports([])).ahead).toEqual([]);
  });
});
