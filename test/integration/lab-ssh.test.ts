// `fleet lab ssh` after the demo's roles changed how a host is reached: it logs in the way the
// project's inventory/<lab>.yml now says (harden-ssh turned root login off, wrote the admin
// user with sudo and the moved port there), and as root with the lab key on a fresh host.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labInstance } from '../../src/lab/index.js';
import { writeProjectFiles } from '../../src/lab/inventory.js';
import { REPO_ROOT, describeLab, labCliArgs, labHosts, labInstanceSpec, resetHost, runFleet, sshRun } from './helpers/index.js';

describeLab('fleet lab ssh follows the inventory', () => {
  let host: ReturnType<typeof labHosts>[number];
  let dir = '';
  let inventoryFile = '';
  const labSsh = (cmd: string) => runFleet(['lab', 'ssh', ...labCliArgs(), host.name, '--', cmd], { cwd: dir, json: false });

  beforeAll(async () => {
    host = labHosts()[labHosts().length - 1];
    await resetHost(host.name);
    // The project as `fleet lab up` leaves it: inventory/<lab>.yml and the pinned keys.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-labssh-'));
    const files = writeProjectFiles(dir, labInstance(labInstanceSpec()), [host]);
    inventoryFile = files.inventory;
    fs.mkdirSync(path.join(dir, 'inventory', 'group_vars'));
    fs.writeFileSync(path.join(dir, 'inventory', 'group_vars', 'all.yml'), 'admin_user: admin\nssh_port: 2222\n');
    fs.mkdirSync(path.join(dir, 'playbooks'));
    fs.writeFileSync(path.join(dir, 'playbooks', 'harden.yml'), '- name: harden\n  hosts: all\n  roles: [harden-ssh]\n');
    fs.symlinkSync(path.join(REPO_ROOT, 'roles'), path.join(dir, 'roles'));
  });

  afterAll(async () => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (host) await resetHost(host.name);
  });

  it('on a fresh host: root with the lab key, the exit code passed through', async () => {
    const r = await labSsh('id -un; echo "sudo:${SUDO_USER:-}"; exit 7');
    expect(r.stdout).toBe('root\nsudo:\n');
    expect(r.code).toBe(7);
  });

  it('after harden-ssh (root login off, admin with sudo, sshd moved to 2222): a root shell through the admin user and sudo', async () => {
    const run = await runFleet(['apply', 'playbooks/harden.yml', '-i', 'inventory'], { cwd: dir });
    expect(run.code, `${run.stderr}\n${JSON.stringify(run.recap?.failures ?? [], null, 1)}`).toBe(0);
    const hv = (YAML.parse(fs.readFileSync(inventoryFile, 'utf8')) as any).all.children[labInstanceSpec().name].children.managers.hosts[host.name]; // the only host of the file is its first: managers
    expect(hv).toMatchObject({ ansible_user: 'admin', ansible_become: true, ansible_port: 2222 });
    expect((await sshRun(host.name, 'true')).code).not.toBe(0); // root is refused now
    expect((await sshRun(host.name, 'true', { user: 'admin', port: 22 })).code).not.toBe(0); // and 22 is closed

    const r = await labSsh('id -un; echo "sudo:$SUDO_USER"; exit 3');
    expect(r.stdout).toBe('root\nsudo:admin\n');
    expect(r.code).toBe(3);
    const quoted = await labSsh(`printf '%s\\n' "it's" 'a "quoted" $HOME'`);
    expect(quoted.stdout).toBe(`it's\na "quoted" $HOME\n`);
  });

  it('after a reset the inventory is stale: falls back to root with the lab key', async () => {
    await resetHost(host.name);
    const r = await labSsh('id -un; echo "sudo:${SUDO_USER:-}"');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('root\nsudo:\n');
  });
});
