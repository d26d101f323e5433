// apply/check --list-hosts, --list-tasks and --syntax-check answer from the files alone: the
// inventory's hosts all point at a listener that counts connections, and it counts none.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleet } from './fleet-bin.js';

let server: Server;
let connections = 0;
let port = 0;
const dir = mkdtempSync(join(tmpdir(), 'fleet-listing-'));

beforeAll(async () => {
  server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  mkdirSync(join(dir, 'inventory'));
  const host = (n: string) => `        ${n}: {ansible_host: 127.0.0.1, ansible_port: ${port}}\n`;
  writeFileSync(join(dir, 'inventory', 'hosts.yml'), `all:\n  children:\n    web:\n      hosts:\n${host('web1')}${host('web2')}    db:\n      hosts:\n${host('db1')}`);
  mkdirSync(join(dir, 'roles', 'base'), { recursive: true });
  writeFileSync(join(dir, 'roles', 'base', 'tasks.yml'), '- name: motd\n  copy: {dest: /etc/motd, content: hi}\n  tags: [motd]\n- name: tools\n  package: {name: curl}\n');
  mkdirSync(join(dir, 'playbooks'));
  writeFileSync(
    join(dir, 'playbooks', 'site.yml'),
    '- name: everything\n  hosts: all\n  roles: [{role: base, tags: [base]}]\n- name: web only\n  hosts: web\n  tasks:\n    - name: reload\n      command: "true"\n      changed_when: false\n',
  );
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('answers without contacting a host', { timeout: 60_000 }, () => {
  it('--list-hosts and --list-tasks print what ansible-playbook prints, after --limit and --tags', () => {
    const r = fleet(['check', '--list-hosts', '--list-tasks', '--limit', 'web1,db1'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        '',
        `playbook: ${join(dir, 'playbooks', 'site.yml')}`,
        '',
        '  play #1 (all): everything\tTAGS: []',
        "    pattern: ['all']",
        '    hosts (2):',
        '      web1',
        '      db1',
        '    tasks:',
        '      base : motd\tTAGS: [base, motd]',
        '      base : tools\tTAGS: [base]',
        '',
        '  play #2 (web): web only\tTAGS: []',
        "    pattern: ['web']",
        '    hosts (1):',
        '      web1',
        '    tasks:',
        '      reload\tTAGS: []',
        '',
      ].join('\n'),
    );
    const tagged = JSON.parse(fleet(['apply', '--list-tasks', '-t', 'motd', '--json'], { cwd: dir }).out);
    expect(tagged.plays.map((p: { tasks: { task: string }[] }) => p.tasks.map((t) => t.task))).toEqual([['motd'], []]);
    expect(tagged.plays[0].tasks[0].location).toMatch(/roles\/base\/tasks\.yml:1$/);
    expect(connections).toBe(0);
  });

  it('--syntax-check validates everything before contact and exits 0, or 3 naming file:line', () => {
    const ok = fleet(['check', '--syntax-check'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/site\.yml: OK \(2 plays, 3 tasks, 3 hosts in the inventory\)/);
    writeFileSync(join(dir, 'playbooks', 'bad.yml'), '- hosts: all\n  tasks:\n    - name: x\n      command: "echo {{ nope }}"\n');
    const bad = fleet(['apply', 'playbooks/bad.yml', '--syntax-check'], { cwd: dir });
    expect(bad.code).toBe(3);
    expect(bad.err).toMatch(/bad\.yml:\d+(:\d+)?: .*nope/);
    expect(connections).toBe(0);
  });

  it('--roles-path adds role directories; --color always/never decide the colour of the recap', async () => {
    mkdirSync(join(dir, 'shared', 'extra'), { recursive: true });
    writeFileSync(join(dir, 'shared', 'extra', 'tasks.yml'), '- name: from the shared path\n  command: "true"\n  changed_when: false\n');
    writeFileSync(join(dir, 'playbooks', 'extra.yml'), '- hosts: db\n  roles: [extra]\n');
    expect(fleet(['check', 'playbooks/extra.yml', '--list-tasks'], { cwd: dir }).code).toBe(3);
    const listed = fleet(['check', 'playbooks/extra.yml', '--list-tasks', '--roles-path', 'shared'], { cwd: dir });
    expect(listed.out).toContain('extra : from the shared path');
    // a port nobody listens on: the host is unreachable at once, and the recap says so
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    mkdirSync(join(dir, 'dead'));
    writeFileSync(join(dir, 'dead', 'hosts.yml'), `all:\n  children:\n    db:\n      hosts:\n        db9: {ansible_host: 127.0.0.1, ansible_port: ${deadPort}}\n`);
    const colored = fleet(['check', 'playbooks/extra.yml', '--roles-path', 'shared', '-i', 'dead', '--color', 'always'], { cwd: dir });
    expect(colored.code).toBe(1);
    expect(colored.out).toMatch(/\u001b\[31m.*db9/);
    const plain = fleet(['check', 'playbooks/extra.yml', '--roles-path', 'shared', '-i', 'dead', '--color', 'never'], { cwd: dir, env: { FORCE_COLOR: '1' } });
    expect(plain.out).toContain('db9');
    expect(plain.out).not.toContain('\u001b[');
  });

  it('--start-at-task leaves out the plays and tasks before the first match (name, `role : name`, wildcards)', () => {
    const tasks = (args: string[]) => {
      const r = fleet(['check', '--list-tasks', '--json', ...args], { cwd: dir });
      expect(r.code, r.err).toBe(0);
      return JSON.parse(r.out).plays.map((p: { play: string; tasks: { task: string }[] }) => `${p.play}: ${p.tasks.map((t) => t.task).join(', ')}`);
    };
    expect(tasks(['--start-at-task', 'tools'])).toEqual(['everything: tools', 'web only: reload']);
    expect(tasks(['--start-at-task', 'base : t*'])).toEqual(['everything: tools', 'web only: reload']);
    expect(tasks(['--start-at-task', 'rel??d'])).toEqual(['web only: reload']);
    const none = fleet(['apply', '--start-at-task', 'nosuch'], { cwd: dir });
    expect(none.code).toBe(3);
    expect(none.err).toContain("--start-at-task 'nosuch' matches no task (tasks: base : motd; base : tools; reload)");
    expect(connections).toBe(0);
  });
});
