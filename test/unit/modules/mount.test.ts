// mount (ansible.posix.mount): the fstab edits Ansible makes (matched by mount point, fields
// escaped, other lines kept byte for byte), what each state decides from the host's state
// (fstab, mount point, mounted or not), check-mode honesty, Ansible's required parameters.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { escapeFstab, mount, mountProblem, setMount, unsetMount } from '../../../src/modules/mount.js';
import { isValid, params, planOf, runApply, tempDir } from './helpers.js';

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

const FSTAB = '# /etc/fstab: static file system information.\nUUID=abc / ext4 errors=remount-ro 0 1\n/dev/sdb1\t/srv/data  ext4 defaults 0 2\n';
const tmpfs = { path: '/mnt/fleet', src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m' };
const b64 = (s: string) => Buffer.from(s).toString('base64');
const probe = (fstab: string | undefined, dir: '0' | '1' | 'other', mounted: boolean) =>
  `${fstab === undefined ? 'fstab=0' : `fstab=1\ntext_b64=${b64(fstab)}`}\ndir=${dir}\nmounted=${mounted ? 1 : 0}\n`;

describe('mount: fstab as Ansible edits it', () => {
  it('a new mount point is appended as "src path fstype opts dump passno"; an equal line is left as written', () => {
    const p = params(mount, { ...tmpfs, state: 'present' });
    const r = setMount(FSTAB, p);
    expect(r).toEqual({ text: `${FSTAB}tmpfs /mnt/fleet tmpfs size=1m 0 0\n`, changed: true });
    expect(setMount(r.text, p)).toEqual({ text: r.text, changed: false });
    // Tabs and short lines (4 fields: dump and passno 0) count as equal.
    expect(setMount('tmpfs\t/mnt/fleet\ttmpfs\tsize=1m\n', p).changed).toBe(false);
  });

  it('a different field rewrites that line only; absent removes it; spaces are escaped \\040', () => {
    const p = params(mount, { path: '/srv/data', src: '/dev/sdb1', fstype: 'ext4', opts: 'noatime', passno: 2, state: 'present' });
    expect(setMount(FSTAB, p).text).toBe(FSTAB.replace('/dev/sdb1\t/srv/data  ext4 defaults 0 2\n', '/dev/sdb1 /srv/data ext4 noatime 0 2\n'));
    expect(unsetMount(FSTAB, p)).toEqual({ text: FSTAB.replace('/dev/sdb1\t/srv/data  ext4 defaults 0 2\n', ''), changed: true });
    expect(unsetMount(FSTAB, params(mount, { path: '/nowhere', state: 'absent' })).changed).toBe(false);
    expect(escapeFstab('/mnt/my disk')).toBe('/mnt/my\\040disk');
    expect(setMount('', params(mount, { ...tmpfs, path: '/mnt/my disk', state: 'present' })).text).toBe('tmpfs /mnt/my\\040disk tmpfs size=1m 0 0\n');
    expect(setMount('', params(mount, { ...tmpfs, boot: false, state: 'present' })).text).toBe('tmpfs /mnt/fleet tmpfs size=1m,noauto 0 0\n');
  });
});

describe('mount: what each state does', () => {
  it('mounted: line, mount point and mount when missing; ok when all are so; a changed line remounts', () => {
    const p = params(mount, { ...tmpfs, state: 'mounted' });
    const first = mount.plan(p, probe(FSTAB, '0', false));
    expect(first).toMatchObject({ kind: 'change', summary: '/etc/fstab: set /mnt/fleet, create /mnt/fleet, mount /mnt/fleet' });
    if (first.kind === 'change') {
      expect(first.diff).toContain('+tmpfs /mnt/fleet tmpfs size=1m 0 0');
      expect(mount.apply(p, first)).toMatch(/mkdir -p -- \/mnt\/fleet\nmount -- \/mnt\/fleet\n$/);
    }
    const done = `${FSTAB}tmpfs /mnt/fleet tmpfs size=1m 0 0\n`;
    expect(mount.plan(p, probe(done, '1', true)).kind).toBe('ok');
    expect(mount.plan(p, probe(done, '1', false))).toMatchObject({ kind: 'change', summary: 'mount /mnt/fleet' });
    const remount = mount.plan(p, probe(done.replace('size=1m', 'size=2m'), '1', true));
    expect(remount).toMatchObject({ kind: 'change', summary: '/etc/fstab: set /mnt/fleet, remount /mnt/fleet' });
    if (remount.kind === 'change') expect(mount.apply(p, remount)).toContain('mount -o remount -- /mnt/fleet');
    expect(mount.plan(p, probe(done, 'other', false))).toMatchObject({ kind: 'blocked' });
  });

  it('unmounted, absent (line, then unmount and rmdir), absent_from_fstab, present, remounted (always changed)', () => {
    const done = `${FSTAB}tmpfs /mnt/fleet tmpfs size=1m 0 0\n`;
    expect(mount.plan(params(mount, { path: '/mnt/fleet', state: 'unmounted' }), probe(done, '1', true))).toMatchObject({ kind: 'change', summary: 'unmount /mnt/fleet' });
    expect(mount.plan(params(mount, { path: '/mnt/fleet', state: 'unmounted' }), probe(done, '1', false)).kind).toBe('ok');
    const absent = mount.plan(params(mount, { path: '/mnt/fleet', state: 'absent' }), probe(done, '1', true));
    expect(absent).toMatchObject({ kind: 'change', summary: '/etc/fstab: remove /mnt/fleet, unmount /mnt/fleet, remove /mnt/fleet' });
    // As Ansible: with no fstab line to remove, absent leaves a mount alone.
    expect(mount.plan(params(mount, { path: '/mnt/fleet', state: 'absent' }), probe(FSTAB, '1', true)).kind).toBe('ok');
    expect(mount.plan(params(mount, { path: '/mnt/fleet', state: 'absent_from_fstab' }), probe(done, '1', true))).toMatchObject({ summary: '/etc/fstab: remove /mnt/fleet' });
    expect(mount.plan(params(mount, { ...tmpfs, state: 'present' }), probe(done, '0', false)).kind).toBe('ok');
    expect(mount.plan(params(mount, { path: '/mnt/fleet', state: 'remounted' }), probe(done, '1', true)).kind).toBe('change');
  });

  it('a real fstab file in a shell: probe, plan, apply of state present (another fstab); check mode writes nothing', () => {
    const tab = join(t.dir, 'fstab');
    writeFileSync(tab, FSTAB);
    const p = params(mount, { ...tmpfs, path: join(t.dir, 'mnt'), fstab: tab, state: 'present' });
    const plan = planOf(mount, p);
    expect(readFileSync(tab, 'utf8')).toBe(FSTAB);
    const r = runApply(mount, p, plan);
    expect(r.rc, r.stderr).toBe(0);
    expect(readFileSync(tab, 'utf8')).toBe(`${FSTAB}tmpfs ${join(t.dir, 'mnt')} tmpfs size=1m 0 0\n`);
    expect(planOf(mount, p).kind).toBe('ok');
  });

  it("Ansible's required parameters; bad values refused", () => {
    expect(mountProblem(params(mount, { path: '/mnt/x', state: 'mounted', src: 'tmpfs' }))).toBe('state is mounted but all of the following are missing: fstype');
    expect(mountProblem(params(mount, { path: '/mnt/x', state: 'present' }))).toContain('src, fstype');
    expect(isValid(mount, { path: 'mnt', state: 'mounted' })).toBe(false);
    expect(isValid(mount, { path: '/mnt', state: 'ephemeral' })).toBe(false);
    expect(isValid(mount, { path: '/mnt', state: 'present', src: 'a', fstype: 'ext4', opts: 'a b' })).toBe(false);
    expect(isValid(mount, { path: '/mnt', state: 'present', src: 'a', fstype: 'ext4', dump: 'x' })).toBe(false);
  });
});
