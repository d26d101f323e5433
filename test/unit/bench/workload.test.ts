import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ansiblePlaybookYaml, fleetTasksYaml, managedFiles } from '../../../bench/workload.js';

const root = join(import.meta.dirname, '..', '..', '..');

describe('bench workload', () => {
  it('the committed fleet role and Ansible playbook are the generator output for 40 tasks', () => {
    expect(readFileSync(join(root, 'roles/bench-workload/tasks.yml'), 'utf8')).toBe(fleetTasksYaml(40));
    expect(readFileSync(join(root, 'bench/ansible/site.yml'), 'utf8')).toBe(ansiblePlaybookYaml(40));
  });

  it('has the mix of the issue: 10 dirs, 10 lines, 5 templates, 5 copies, 5 packages, 5 commands', () => {
    const tasks = parse(fleetTasksYaml(40)) as Record<string, unknown>[];
    const count = (k: string) => tasks.filter((t) => k in t).length;
    expect(tasks).toHaveLength(40);
    expect([count('directory'), count('line'), count('template'), count('copy'), count('package'), count('command')]).toEqual([10, 10, 5, 5, 5, 5]);
    expect(tasks.filter((t) => t.notify === 'bench marker')).toHaveLength(10);
    expect(tasks.filter((t) => 'command' in t).every((t) => typeof t.creates === 'string')).toBe(true);
  });

  it('the Ansible twin has the same tasks, by name, with the matching modules', () => {
    const fleet = parse(fleetTasksYaml(40)) as { name: string }[];
    const play = (parse(ansiblePlaybookYaml(40)) as { tasks: Record<string, unknown>[]; gather_facts: boolean }[])[0];
    expect(play.gather_facts).toBe(false);
    expect(play.tasks.map((t) => t.name)).toEqual(fleet.map((t) => t.name));
    const mod = (t: Record<string, unknown>) => Object.keys(t).find((k) => !['name', 'notify', 'creates'].includes(k));
    const map: Record<string, string> = { directory: 'file', line: 'lineinfile', template: 'template', copy: 'copy', package: 'apt', command: 'command' };
    expect(play.tasks.map(mod)).toEqual((fleet as Record<string, unknown>[]).map((t) => map[mod(t)!]));
  });

  it('scales by whole blocks with distinct paths, and rejects other counts', () => {
    const tasks = parse(fleetTasksYaml(200)) as Record<string, Record<string, string>>[];
    expect(tasks).toHaveLength(200);
    const paths = tasks.map((t) => t.directory?.path ?? t.line?.path ?? t.template?.dest ?? t.copy?.dest).filter(Boolean);
    expect(new Set(paths).size).toBe(paths.length);
    expect(new Set(tasks.map((t) => t.name)).size).toBe(200);
    expect(() => fleetTasksYaml(50)).toThrow(/multiple of 40/);
  });

  it('lists the files both tools must leave identical', () => {
    expect(managedFiles()).toContain('/etc/bench/t1.conf');
    expect(managedFiles()).toHaveLength(20);
  });
});
