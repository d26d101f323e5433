// fleet node add is transactional (issue 13): with an address nothing answers on, the
// inventory is left exactly as it was, a retry fails the same way (not "already exists"),
// and the error is one line, no stack trace. With --no-accept-hostkey it says what is left.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fleet } from './fleet-bin.js';

function project(hostsYml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-node-add-'));
  mkdirSync(join(dir, 'inventory'));
  if (hostsYml !== undefined) writeFileSync(join(dir, 'inventory/hosts.yml'), hostsYml);
  return dir;
}

// Port 1 on loopback: nothing listens, the connection is refused at once.
const add = (dir: string, extra: string[] = []) =>
  fleet(['node', 'add', 'relay9', '--address', '127.0.0.1', '--port', '1', '--group', 'workers', ...extra], {
    cwd: dir,
    env: { FLEET_SSH_CONFIG: 'none' },
  });

describe('fleet node add', () => {
  it('nothing answers: exit 1, one clear line, the inventory byte for byte as before; a retry fails the same way', () => {
    const before = '# my hosts\nall:\n  children:\n    workers:\n      hosts:\n        relay1: {ansible_host: 192.0.2.1}\n';
    const dir = project(before);
    for (let i = 0; i < 2; i++) {
      const r = add(dir);
      expect(r.code).toBe(1);
      expect(r.err).toContain('node add relay9: could not pin its host key');
      expect(r.err).toContain('the inventory is unchanged');
      expect(r.err).not.toContain('already exists');
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(readFileSync(join(dir, 'inventory/hosts.yml'), 'utf8')).toBe(before);
    }
  });

  it('nothing answers and there was no inventory file: none is left behind', () => {
    const dir = project();
    expect(add(dir).code).toBe(1);
    expect(existsSync(join(dir, 'inventory/hosts.yml'))).toBe(false);
  });

  it('--no-accept-hostkey writes the host and says its key is not pinned', () => {
    const dir = project();
    const r = add(dir, ['--no-accept-hostkey']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('not connected');
    expect(r.out).toContain('fleet hostkeys accept relay9');
    expect(readFileSync(join(dir, 'inventory/hosts.yml'), 'utf8')).toContain('relay9');
  });

  it("writes the host as the inventory spells its hosts: ansible_host when another file of it does (the repository's empty hosts.yml beside a lab's)", () => {
    const dir = project('# example\nall:\n  children:\n    managers: {}\n    workers: {}\n');
    writeFileSync(join(dir, 'inventory/lab.yml'), 'all:\n  children:\n    lab:\n      hosts:\n        lab1: {ansible_host: 10.0.0.11, ansible_user: admin}\n');
    const r = add(dir, ['--no-accept-hostkey']);
    expect(r.code, r.err).toBe(0);
    const text = readFileSync(join(dir, 'inventory/hosts.yml'), 'utf8');
    expect(text).toContain('relay9: {ansible_host: 127.0.0.1, ansible_port: 1}');
  });
});
