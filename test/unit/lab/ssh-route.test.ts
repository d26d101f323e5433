// How `fleet lab ssh` chooses its login: the project's inventory/<lab>.yml when it names the
// host (the admin user, sudo, a moved port), else root with the lab key.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../../src/config/index.js';
import { labInstance } from '../../../src/lab/instance.js';
import { inventoryRoute, rootRoute, sshArgv } from '../../../src/lab/ssh-route.js';

const inst = labInstance({ name: 'lab', subnet: '10.231.0.0/24' });
const project = (dir: string) => ({ dir, connectionOf: (paths: string[], host: string) => loadInventory(paths).hosts.get(host)?.connection });

describe('lab ssh route', () => {
  it('reads the project inventory as roles rewrote it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-route-'));
    fs.mkdirSync(path.join(dir, 'inventory'));
    fs.writeFileSync(path.join(dir, 'inventory', 'lab.yml'),
      `all:\n  children:\n    lab:\n      children:\n        managers:\n          hosts:\n            lab1: {ansible_host: 10.231.0.11, ansible_user: admin, ansible_become: true, ansible_port: 2222, ansible_ssh_private_key_file: ${inst.keyFile}}\n`);
    expect(inventoryRoute(inst, 'lab1', project(dir))).toEqual({
      address: '10.231.0.11', port: 2222, user: 'admin', keyFile: inst.keyFile, sudo: true, from: 'admin@10.231.0.11:2222 as inventory/lab.yml says, with sudo',
    });
    expect(inventoryRoute(inst, 'lab2', project(dir))).toBeUndefined();
    expect(inventoryRoute(inst, 'lab1', project(path.join(dir, 'nowhere')))).toBeUndefined();
  });

  it('runs the command as root through sudo, quoted; pins the host key by address whatever the port', () => {
    const r = { ...rootRoute(inst, '10.231.0.11'), user: 'admin', port: 2222, sudo: true };
    const argv = sshArgv(inst, r, { tty: false, command: `echo "it's"` });
    expect(argv).toContain(`HostKeyAlias=10.231.0.11`);
    expect(argv.slice(argv.indexOf('-p'), argv.indexOf('-p') + 2)).toEqual(['-p', '2222']);
    expect(argv.slice(-3)).toEqual(['admin@10.231.0.11', '--', `sudo -n sh -c 'echo "it'\\''s"'`]);
    expect(sshArgv(inst, r, { tty: true }).slice(-1)).toEqual(['sudo -i']);
    expect(sshArgv(inst, rootRoute(inst, '10.231.0.11'), { tty: false, command: 'id' }).slice(-3)).toEqual(['root@10.231.0.11', '--', 'id']);
  });
});
