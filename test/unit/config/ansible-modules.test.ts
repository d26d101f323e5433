// Ansible's wait_for, cron, mount (ansible.posix) and apt_repository load as fleet's modules
// with Ansible's parameter names and aliases; key=value text gets numbers and booleans; what
// fleet does not do is refused at the parameter's file:line:col, before any host is contacted.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../../src/config/index.js';
import type { Task } from '../../../src/model/playbook.js';
import { expectConfigError, tree } from './helpers.js';

function roleTasks(tasks: string): Task[] {
  const dir = tree({ 'site.yml': '- hosts: all\n  roles: [r]\n', 'roles/r/tasks/main.yml': tasks });
  return loadPlaybook(join(dir, 'site.yml')).plays[0].roles[0].role.tasks;
}
function roleError(tasks: string, line: number, column: number, ...text: string[]): void {
  const dir = tree({ 'site.yml': '- hosts: all\n  roles: [r]\n', 'roles/r/tasks/main.yml': tasks });
  expectConfigError(() => loadPlaybook(join(dir, 'site.yml')), join(dir, 'roles/r/tasks/main.yml'), line, column, ...text);
}

describe('Ansible modules: wait_for, cron, mount, apt_repository', () => {
  it('wait_for: key=value numbers; exclude_hosts as a comma list; port and path together refused', () => {
    const [a, b] = roleTasks('- wait_for: port=8080 timeout=30 delay=2\n- ansible.builtin.wait_for: {port: 80, state: drained, exclude_hosts: "10.0.0.1,10.0.0.2"}\n');
    expect([a.module, a.params]).toEqual(['wait_for', { port: 8080, timeout: 30, delay: 2 }]);
    expect(b.params).toMatchObject({ exclude_hosts: ['10.0.0.1', '10.0.0.2'] });
    roleError('- wait_for: {port: 80, path: /x}\n', 1, 13, 'port and path parameter can not both be passed');
    roleError('- wait_for: {port: 80, bogus: 1}\n', 1, 24, "wait_for: unknown parameter 'bogus'");
  });

  it('cron: aliases value/dom/dow, booleans from text; name required; backup refused', () => {
    const [c] = roleTasks('- cron: name=backup dom=1 dow=0 value=/bin/true disabled=yes user=root cron_file=fleet\n');
    expect([c.module, c.params]).toEqual(['cron', { name: 'backup', day: '1', weekday: '0', job: '/bin/true', disabled: true, user: 'root', cron_file: 'fleet' }]);
    roleError('- cron: {job: /bin/true}\n', 1, 9, "'name' is required");
    roleError('- cron: {name: a, job: b, backup: true}\n', 1, 27, "parameter 'backup' is not supported");
  });

  it('mount: only as ansible.posix.mount or mount; name is path; state required, ephemeral refused', () => {
    const [m] = roleTasks('- ansible.posix.mount: {name: /mnt/x, src: tmpfs, fstype: tmpfs, state: mounted, boot: "no"}\n');
    expect([m.module, m.params]).toEqual(['mount', { path: '/mnt/x', src: 'tmpfs', fstype: 'tmpfs', state: 'mounted', boot: false }]);
    roleError('- ansible.builtin.mount: {path: /mnt/x, state: mounted}\n', 1, 3, "unknown module 'ansible.builtin.mount'");
    roleError('- mount: {path: /mnt/x}\n', 1, 10, "'state' is required");
    roleError('- mount: {path: /mnt/x, state: ephemeral}\n', 1, 10, 'ephemeral is not supported');
  });

  it('apt_repository: update-cache alias, install_python_apt accepted (nothing to install), codename refused', () => {
    const [r] = roleTasks('- apt_repository: {repo: "deb http://x/ a b", update-cache: no, install_python_apt: false}\n');
    expect([r.module, r.params]).toEqual(['apt_repository', { repo: 'deb http://x/ a b', update_cache: false }]);
    roleError('- apt_repository: {repo: "deb http://x/ a b", codename: a}\n', 1, 47, "parameter 'codename' is not supported");
  });
});

describe('Ansible modules: unarchive, get_url', () => {
  it('unarchive: copy: no is remote_src: yes; lists from comma text; keep_newer refused; src and dest required', () => {
    const [u] = roleTasks('- unarchive: src=/srv/app.tgz dest=/opt copy=no list_files=yes extra_opts=--strip-components=1 mode=0755\n');
    expect([u.module, u.params]).toEqual(['unarchive', { src: '/srv/app.tgz', dest: '/opt', remote_src: true, list_files: true, extra_opts: ['--strip-components=1'], mode: '0755' }]);
    const [v] = roleTasks('- ansible.builtin.unarchive: {src: /srv/a.zip, dest: /opt, remote_src: true, exclude: "a,b"}\n');
    expect(v.params).toEqual({ src: '/srv/a.zip', dest: '/opt', remote_src: true, exclude: ['a', 'b'] });
    roleError('- unarchive: {src: /srv/a.tgz, dest: /opt, keep_newer: true}\n', 1, 44, "parameter 'keep_newer' is not supported");
    roleError('- unarchive: {src: /srv/a.tgz}\n', 1, 14, 'missing required arguments: dest');
    roleError('- unarchive: {src: /srv/a.tgz, dest: /opt, copy: false, remote_src: true}\n', 1, 14, 'mutually exclusive: copy|remote_src');
  });

  it("unarchive: a role's src must be in its files/ (unless remote_src)", () => {
    roleError('- unarchive: {src: app.tgz, dest: /opt}\n', 1, 14, "unarchive src 'app.tgz' not found in");
    expect(roleTasks('- unarchive: {src: app.tgz, dest: /opt, remote_src: yes}\n')[0].module).toBe('unarchive');
  });

  it('get_url: aliases (thirsty, username, password), typed key=value, force_basic_auth accepted; use_proxy refused', () => {
    const [g] = roleTasks('- get_url: url=https://x/a.tgz dest=/tmp/a.tgz thirsty=yes timeout=30 username=u password=p force_basic_auth=yes\n');
    expect([g.module, g.params]).toEqual(['get_url', { url: 'https://x/a.tgz', dest: '/tmp/a.tgz', force: true, timeout: 30, url_username: 'u', url_password: 'p' }]);
    const [h] = roleTasks('- ansible.builtin.get_url: {url: "https://x/a", dest: /tmp/a, checksum: "sha256:abc", headers: {X-A: b}, validate_certs: false}\n');
    expect(h.params).toEqual({ url: 'https://x/a', dest: '/tmp/a', checksum: 'sha256:abc', headers: { 'X-A': 'b' }, validate_certs: false });
    roleError('- get_url: {url: "https://x/a", dest: /tmp/a, use_proxy: false}\n', 1, 47, "parameter 'use_proxy' is not supported");
    roleError('- get_url: {url: "https://x/a"}\n', 1, 12, 'missing required arguments: dest');
  });
});
