// Ansible's wait_for, cron, mount, apt_repository, unarchive and get_url on a real lab host,
// written in Ansible's own words (a playbook next to an ansible.cfg): the first apply changes
// the host and the host is in that state (read back over SSH); a second apply changes nothing
// (and downloads nothing); drift (a cron entry edited, the tmpfs unmounted, the repository line
// removed, an extracted file edited, a downloaded file tampered with) shows in fleet check
// --diff, exit 2, and nothing is changed by the check. get_url runs both ways: the host
// fetches from the controller's bridge address itself; a URL only the controller reaches
// (its 127.0.0.1) is fetched there and uploaded.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, labHosts, labInfo, makeProject, resetHost, runFleet, sshRun, type FleetRun, type Project } from './helpers/index.js';

const explain = (run: FleetRun) => `exit ${run.code}\n${run.stderr}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`;
const diffsOf = (run: FleetRun) => run.events.flatMap((e) => (e.type === 'task' && e.diff ? [e.diff] : [])).join('\n');

const PLAYBOOK = `- hosts: all
  gather_facts: true
  tasks:
    - name: cron.d exists
      ansible.builtin.file: {path: /etc/cron.d, state: directory, mode: "0755"}
    - name: nightly backup
      ansible.builtin.cron:
        name: fleet backup
        user: root
        minute: 0
        hour: 5
        job: /usr/bin/true backup
        cron_file: fleet-it
    - name: an environment line in the same file
      cron: name=MAILTO env=yes job=ops@example.org user=root cron_file=fleet-it
    - name: a tmpfs
      ansible.posix.mount: {path: /mnt/fleet-it, src: tmpfs, fstype: tmpfs, opts: size=1m, state: mounted}
    - name: a repository, offline (no update)
      ansible.builtin.apt_repository:
        repo: deb [trusted=yes] file:/srv/fleet-it-repo ./
        filename: fleet-it
        update_cache: false
    - name: the fstab line is there
      ansible.builtin.wait_for: {path: /etc/fstab, search_regex: 'tmpfs (/mnt/\\S+) tmpfs', timeout: 10}
      register: fstab_wait
    - name: sshd answers
      wait_for: port=22 search_regex=OpenSSH timeout=10
    - name: what wait_for found
      copy: {content: "{{ fstab_wait.match_groups[0] }}\\n", dest: /etc/fleet-it-waited}
    - name: app directory
      ansible.builtin.file: {path: /opt/fleet-it-app, state: directory, mode: "0755"}
    - name: the app, from the controller
      ansible.builtin.unarchive: {src: app.tar.gz, dest: /opt/fleet-it-app, owner: nobody, group: nogroup, mode: "u=rwX,g=rX,o=rX"}
    - name: a download the host makes itself
      ansible.builtin.get_url: {url: "http://BRIDGE_URL/app.tar.gz", dest: /var/tmp/fleet-it-app.tar.gz, mode: "0600"}
    - name: a download only the controller reaches
      get_url: url=http://LOOPBACK_URL/notes.txt dest=/etc/fleet-it-notes.txt checksum=sha256:NOTES_SHA256 mode=0640
    - name: directory for the host's own archive
      file: {path: /opt/fleet-it-remote, state: directory}
    - name: unarchive the host's download
      unarchive: {src: /var/tmp/fleet-it-app.tar.gz, dest: /opt/fleet-it-remote, remote_src: yes, extra_opts: [--strip-components=1], list_files: yes}
      register: unpacked
    - name: what unarchive listed
      copy: {content: "{{ unpacked.files | sort | join(',') }}\\n", dest: /etc/fleet-it-unpacked}
`;
const NOTES = 'offline notes\n';

describeLab('Ansible modules: wait_for, cron, mount, apt_repository, unarchive, get_url', () => {
  let host: ReturnType<typeof labHosts>[number];
  let project: Project;
  const fleet = (cmd: 'apply' | 'check', extra: string[] = []) =>
    runFleet([cmd, path.join(project.dir, 'site.yml'), '-i', project.inventoryDir, '-l', host.name, ...extra], { cwd: project.dir });

  // get_url's sources: one on the controller's bridge address (the host reaches it), one on
  // the controller's loopback (only the controller does); each request's origin recorded.
  const servers: http.Server[] = [];
  const requests: string[] = [];
  /** Each request's credentials as the server saw them (the redirect cases). */
  const creds: { url: string; from: string; auth?: string; cookie?: string }[] = [];
  let bridgeUrl = '';
  let sinkUrl = '';
  let loopUrl = '';
  let archive: Buffer;
  const serve = async (address: string): Promise<string> => {
    const server = http.createServer((req, res) => {
      if (req.url?.startsWith('/r/') || req.url?.startsWith('/sink/')) {
        creds.push({ url: req.url, from: req.socket.remoteAddress ?? '', auth: req.headers.authorization, cookie: req.headers.cookie });
        // /r/sink/...: to another origin (the sink's port); /r/loop/...: to the controller's loopback.
        if (req.url.startsWith('/r/sink/')) return res.writeHead(302, { location: `http://${sinkUrl}/sink/${req.url.slice(8)}` }).end();
        if (req.url.startsWith('/r/loop/')) return res.writeHead(302, { location: `http://${loopUrl}/notes.txt` }).end();
        return res.end(NOTES);
      }
      requests.push(`${req.socket.remoteAddress} ${req.url}`);
      if (req.url === '/app.tar.gz') return res.end(archive);
      if (req.url === '/notes.txt') return res.end(NOTES);
      res.writeHead(404).end();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    return `${address}:${(server.address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    host = labHosts()[2] ?? labHosts()[0];
    await resetHost(host.name);
    project = makeProject({ hosts: [host.name] });
    fs.writeFileSync(path.join(project.dir, 'ansible.cfg'), '[defaults]\n');
    // The app archive, in files/ beside the playbook (where Ansible looks for src).
    const src = path.join(project.dir, 'app-src');
    fs.mkdirSync(path.join(src, 'app/conf'), { recursive: true });
    fs.mkdirSync(path.join(src, 'app/bin'));
    fs.writeFileSync(path.join(src, 'app/conf/app.conf'), 'port = 80\n');
    fs.writeFileSync(path.join(src, 'app/bin/run.sh'), '#!/bin/sh\nexec true\n', { mode: 0o700 });
    fs.mkdirSync(path.join(project.dir, 'files'));
    const tar = spawnSync('tar', ['-czf', path.join(project.dir, 'files/app.tar.gz'), '-C', src, 'app'], { encoding: 'utf8' });
    expect(tar.status, tar.stderr).toBe(0);
    archive = fs.readFileSync(path.join(project.dir, 'files/app.tar.gz'));
    bridgeUrl = await serve(labInfo().controllerAddress);
    sinkUrl = await serve(labInfo().controllerAddress);
    loopUrl = await serve('127.0.0.1');
    const playbook = PLAYBOOK.replace('BRIDGE_URL', bridgeUrl)
      .replace('LOOPBACK_URL', loopUrl)
      .replace('NOTES_SHA256', createHash('sha256').update(NOTES).digest('hex'));
    fs.writeFileSync(path.join(project.dir, 'site.yml'), playbook);
  });

  afterAll(async () => {
    for (const s of servers) s.close();
    project?.cleanup();
    if (host) {
      await sshRun(host.name, 'umount /mnt/fleet-it 2>/dev/null; rm -rf /etc/fleet-it-outside /opt/fleet-it-evil /var/tmp/fleet-it-r*; true');
      await resetHost(host.name);
    }
  });

  it('first apply: the cron file as Ansible writes it, the tmpfs mounted and in fstab, the repository file, the waits answered, the archives extracted, the downloads made', async () => {
    const run = await fleet('apply');
    expect(run.code, explain(run)).toBe(0);
    expect(run.recap?.hosts[host.name]?.changed).toBeGreaterThanOrEqual(5);
    const st = await sshRun(
      host.name,
      'cat /etc/cron.d/fleet-it; stat -c %a /etc/cron.d/fleet-it; findmnt -rn -o SOURCE,FSTYPE,OPTIONS /mnt/fleet-it; grep fleet-it /etc/fstab; cat /etc/apt/sources.list.d/fleet-it.list /etc/fleet-it-waited',
    );
    expect(st.code, st.stderr).toBe(0);
    const lines = st.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual(['MAILTO="ops@example.org"', '#Ansible: fleet backup', '0 5 * * * root /usr/bin/true backup', '644']);
    expect(lines[4]).toMatch(/^tmpfs tmpfs rw,.*size=1024k/);
    expect(lines.slice(5)).toEqual(['tmpfs /mnt/fleet-it tmpfs size=1m 0 0', 'deb [trusted=yes] file:/srv/fleet-it-repo ./', '/mnt/fleet-it', '']);
    // unarchive: the controller's archive extracted, owner and mode on every member and the top folder.
    const app = await sshRun(
      host.name,
      'cd /opt/fleet-it-app && stat -c "%n %U:%G %a" app app/conf app/conf/app.conf app/bin/run.sh && cat app/conf/app.conf && ' +
        'stat -c %a /var/tmp/fleet-it-app.tar.gz && sha256sum < /var/tmp/fleet-it-app.tar.gz && stat -c %a /etc/fleet-it-notes.txt && cat /etc/fleet-it-notes.txt /etc/fleet-it-unpacked && ls /opt/fleet-it-remote',
    );
    expect(app.code, app.stderr).toBe(0);
    expect(app.stdout.split('\n')).toEqual([
      'app nobody:nogroup 755',
      'app/conf nobody:nogroup 755',
      'app/conf/app.conf nobody:nogroup 644',
      'app/bin/run.sh nobody:nogroup 755',
      'port = 80',
      '600',
      `${createHash('sha256').update(archive).digest('hex')}  -`,
      '640',
      'offline notes',
      'bin/,bin/run.sh,conf/,conf/app.conf',
      'bin',
      'conf',
      '',
    ]);
    // get_url: the host fetched the archive itself; the notes came through the controller.
    expect(requests).toEqual([`${host.address} /app.tar.gz`, '127.0.0.1 /notes.txt']);
    const notes = run.events.find((e) => e.type === 'task' && e.task === 'a download only the controller reaches');
    expect(notes && notes.type === 'task' && notes.msg).toMatch(/fetched on the controller: the host cannot reach 127\.0\.0\.1:\d+/);
  });

  it('second apply: 0 changed, nothing downloaded (dest is there, force is off)', async () => {
    requests.length = 0;
    const run = await fleet('apply', ['-v']);
    expect(run.code, explain(run)).toBe(0);
    expect(run.recap?.hosts[host.name]?.changed).toBe(0);
    expect(requests).toEqual([]);
    // unarchive's comparison and get_url's rule are read with the first probes: the only later
    // round trips are for the two tasks that read a registered result (known only then).
    const trips = run.stderr.split('\n').flatMap((l) => /round trip \d+: (.*)/.exec(l)?.slice(1) ?? []);
    expect(trips.length, run.stderr).toBe(3);
    expect(trips[0]).toMatch(/^run lock, facts and first probes/);
    expect(trips.slice(1)).toEqual(["probe of 'what wait_for found' was not in the cache (1 sections)", "probe of 'what unarchive listed' was not in the cache (1 sections)"]);
  });

  it('drift shows in check --diff (exit 2) and the check changes nothing', async () => {
    const drift = await sshRun(
      host.name,
      "sed -i 's/^0 5 /30 6 /' /etc/cron.d/fleet-it && umount /mnt/fleet-it && rm /etc/apt/sources.list.d/fleet-it.list && " +
        "sed -i 's/80/81/' /opt/fleet-it-app/app/conf/app.conf && echo tampered > /etc/fleet-it-notes.txt && echo drifted",
    );
    expect(drift.stdout).toBe('drifted\n');
    const check = await fleet('check', ['--diff']);
    expect(check.code, explain(check)).toBe(2);
    const diffs = diffsOf(check);
    expect(diffs).toMatch(/^-30 6 \* \* \* root \/usr\/bin\/true backup$/m);
    expect(diffs).toMatch(/^\+0 5 \* \* \* root \/usr\/bin\/true backup$/m);
    expect(diffs).toMatch(/^\+deb \[trusted=yes\] file:\/srv\/fleet-it-repo \.\/$/m);
    const summaries = check.events.flatMap((e) => (e.type === 'task' && e.status === 'changed' ? [e.msg ?? ''] : []));
    expect(summaries.join('\n')).toContain('mount /mnt/fleet-it');
    // unarchive: the edited member with its diff; get_url: the checksum no longer matches.
    expect(diffs).toContain('/opt/fleet-it-app/app/conf/app.conf: ');
    expect(diffs).toMatch(/^-port = 81$/m);
    expect(diffs).toMatch(/^\+port = 80$/m);
    expect(summaries.join('\n')).toMatch(/(would|will) download http:\/\/127\.0\.0\.1:\d+\/notes\.txt to \/etc\/fleet-it-notes\.txt/);
    const after = await sshRun(
      host.name,
      "grep -c '^30 6 ' /etc/cron.d/fleet-it; mountpoint -q /mnt/fleet-it || echo unmounted; test -e /etc/apt/sources.list.d/fleet-it.list || echo no-repo; cat /opt/fleet-it-app/app/conf/app.conf /etc/fleet-it-notes.txt",
    );
    expect(after.stdout).toBe('1\nunmounted\nno-repo\nport = 81\ntampered\n');
    // And apply puts it back.
    const fix = await fleet('apply');
    expect(fix.code, explain(fix)).toBe(0);
    expect(fix.recap?.hosts[host.name]?.changed).toBe(5);
    const restored = await sshRun(host.name, 'cat /opt/fleet-it-app/app/conf/app.conf /etc/fleet-it-notes.txt');
    expect(restored.stdout).toBe('port = 80\noffline notes\n');
  });

  it('a hostile archive (a symlink out of dest, then a member whose newline-split name goes through it) is refused on the host, in check and apply, and nothing outside dest changes', async () => {
    const stage = path.join(project.dir, 'evil-src');
    fs.mkdirSync(path.join(stage, 'q\ns'), { recursive: true });
    fs.symlinkSync('/etc/fleet-it-outside', path.join(stage, 's'));
    fs.writeFileSync(path.join(stage, 'q\ns', 'secret.txt'), 'overwritten\n');
    const tar = spawnSync('tar', ['-cf', path.join(project.dir, 'files/evil.tar'), '-C', stage, '--no-recursion', 's', 'q\ns', 'q\ns/secret.txt'], { encoding: 'utf8' });
    expect(tar.status, tar.stderr).toBe(0);
    fs.writeFileSync(
      path.join(project.dir, 'evil.yml'),
      `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: evil dest\n      file: {path: /opt/fleet-it-evil, state: directory}\n` +
        `    - name: the hostile archive\n      unarchive: {src: evil.tar, dest: /opt/fleet-it-evil, mode: "0644"}\n`,
    );
    const prep = await sshRun(host.name, 'mkdir -p /etc/fleet-it-outside /opt/fleet-it-evil && printf TOPSECRET > /etc/fleet-it-outside/secret.txt && chmod 600 /etc/fleet-it-outside/secret.txt && echo ready');
    expect(prep.stdout).toBe('ready\n');
    const evil = (cmd: 'apply' | 'check') =>
      runFleet([cmd, path.join(project.dir, 'evil.yml'), '-i', project.inventoryDir, '-l', host.name, '--diff'], { cwd: project.dir });
    for (const cmd of ['check', 'apply'] as const) {
      const run = await evil(cmd);
      expect(run.code, explain(run)).not.toBe(0);
      const out = JSON.stringify(run.events) + run.stdout + run.stderr;
      expect(out).toMatch(/refused [^"]*evil\.tar: member \\?"(s|q\\\\ns)/);
      expect(out).not.toContain('TOPSECRET');
      expect(out).not.toContain(Buffer.from('TOPSECRET').toString('base64'));
      const after = await sshRun(host.name, 'stat -c %a /etc/fleet-it-outside/secret.txt; cat /etc/fleet-it-outside/secret.txt; echo; ls -A /opt/fleet-it-evil | wc -l');
      expect(after.stdout, cmd).toBe('600\nTOPSECRET\n0\n');
    }
  });

  it('get_url redirects: credentials never reach another origin (the host\'s curl or wget, the controller), the controller follows no redirect into its own loopback', async () => {
    const task = (name: string, url: string, dest: string, extra = '') =>
      `    - name: ${name}\n      get_url:\n        url: "${url}"\n        dest: ${dest}\n        headers: {Authorization: "Bearer it-tok-123456", Cookie: "sid=it-cookie-7890"}\n${extra}`;
    const play = (tasks: string) => `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`;
    fs.writeFileSync(path.join(project.dir, 'redirect-host.yml'), play(task('host follows a redirect to another origin', `http://u:it-pass-4242@${bridgeUrl}/r/sink/host`, '/var/tmp/fleet-it-r1')));
    fs.writeFileSync(
      path.join(project.dir, 'redirect-ctl.yml'),
      play(
        task('controller follows it too', `http://${bridgeUrl}/r/sink/ctl`, '/var/tmp/fleet-it-r2') +
          task('controller refuses a redirect to its own loopback', `http://${bridgeUrl}/r/loop/x`, '/var/tmp/fleet-it-r3', '      ignore_errors: true\n'),
      ),
    );
    creds.length = 0;
    requests.length = 0;
    const apply = (file: string, extra: string[] = []) =>
      runFleet(['apply', path.join(project.dir, file), '-i', project.inventoryDir, '-l', host.name, '-v', ...extra], { cwd: project.dir });
    const onHost = await apply('redirect-host.yml');
    expect(onHost.code, explain(onHost)).toBe(0);
    // fleet_get_url_via is a host variable: the controller fetches for this run only.
    const hostVars = path.join(project.inventoryDir, 'host_vars', `${host.name}.yml`);
    fs.mkdirSync(path.dirname(hostVars), { recursive: true });
    fs.writeFileSync(hostVars, 'fleet_get_url_via: controller\n');
    const run = await apply('redirect-ctl.yml').finally(() => fs.rmSync(hostVars));
    expect(run.code, explain(run)).toBe(0);
    const byUrl = (u: string) => creds.filter((c) => c.url === u);
    // The first origin got them; the sink (another port) got neither, from the host nor from the controller.
    expect(byUrl('/r/sink/host')[0]).toMatchObject({ from: host.address, cookie: 'sid=it-cookie-7890' });
    expect(byUrl('/sink/host')).toEqual([{ url: '/sink/host', from: host.address, auth: undefined, cookie: undefined }]);
    expect(byUrl('/r/sink/ctl')[0]).toMatchObject({ auth: 'Bearer it-tok-123456', cookie: 'sid=it-cookie-7890' });
    expect(byUrl('/sink/ctl')).toEqual([{ url: '/sink/ctl', from: labInfo().controllerAddress, auth: undefined, cookie: undefined }]);
    const refused = run.events.find((e) => e.type === 'task' && e.task === 'controller refuses a redirect to its own loopback');
    expect(refused && refused.type === 'task' && refused.status).toBe('failed');
    expect(refused && refused.type === 'task' && refused.msg).toMatch(/redirect to 127\.0\.0\.1 .*refused/);
    expect(requests.filter((r) => r.endsWith('/notes.txt') && r.startsWith('127.0.0.1'))).toEqual([]);
    // The credentials never in the output.
    const out = JSON.stringify([onHost.events, run.events]) + onHost.stdout + onHost.stderr + run.stdout + run.stderr;
    for (const s of ['it-pass-4242', 'it-tok-123456', 'it-cookie-7890']) expect(out).not.toContain(s);
    const files = await sshRun(host.name, 'cat /var/tmp/fleet-it-r1 /var/tmp/fleet-it-r2; test -e /var/tmp/fleet-it-r3 || echo none');
    expect(files.stdout).toBe(`${NOTES}${NOTES}none\n`);
  });
});
