// `fleet inventory --json/--graph/--host` print what ansible-inventory prints for the same
// inventory (goldens recorded from ansible-inventory 2.14; re-checked against it when it is
// installed, as in CI), and a consumer written for ansible-inventory reads fleet's output.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fleet } from './fleet-bin.js';

const DIR = 'test/fixtures/cli';
const INV = `${DIR}/ansible-inv`;
const golden = (name: string): string => readFileSync(`${DIR}/ansible-inv.${name}`, 'utf8');
// The one deliberate difference: fleet masks values of variables named like secrets.
const masked = (text: string): string => text.replaceAll('correct-horse', '********');

const hasAnsible = spawnSync('ansible-inventory', ['--version'], { encoding: 'utf8' }).status === 0;

function ansible(args: string[]): string {
  const r = spawnSync('ansible-inventory', ['-i', INV, ...args], { encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' } });
  if (r.status !== 0) throw new Error(`ansible-inventory ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('fleet inventory in the shape ansible-inventory prints', { timeout: 60_000 }, () => {
  it('--json is byte for byte ansible-inventory --list (groups, children, ungrouped, _meta.hostvars)', () => {
    const r = fleet(['inventory', '-i', INV, '--json']);
    expect(r.code).toBe(0);
    expect(r.out.trimEnd()).toBe(masked(golden('list.json')).trimEnd());
    const doc = JSON.parse(r.out);
    expect(doc.all.children[0]).toBe('ungrouped');
    expect(doc.ungrouped.hosts).toEqual(['bastion']);
    expect(doc.empty).toBeUndefined(); // an empty group is named by its parent only
    expect(doc._meta.hostvars.hs2).toMatchObject({ ansible_host: '10.0.0.12', synapse_port: 8448, ansible_user: 'deploy' });
    expect(doc._meta.hostvars.onion1.db_password).toBe('********');
    expect(fleet(['inventory', '-i', INV, '--list']).out).toBe(r.out);
  });

  it('--graph, --graph --vars and --graph GROUP draw the same tree as ansible-inventory', () => {
    expect(fleet(['inventory', '-i', INV, '--graph']).out).toBe(golden('graph.txt'));
    expect(fleet(['inventory', '-i', INV, '--graph', '--vars']).out).toBe(masked(golden('graph-vars.txt')));
    expect(fleet(['inventory', '-i', INV, '--graph', 'matrix']).out).toBe(golden('graph-matrix.txt'));
    const bad = fleet(['inventory', '-i', INV, '--graph', 'nosuch']);
    expect(bad.code).toBe(3);
    expect(bad.err).toMatch(/unknown group 'nosuch'/);
  });

  it('--host prints one host\'s variables', () => {
    const r = fleet(['inventory', '-i', INV, '--host', 'proxy1']);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(golden('list.json'))._meta.hostvars.proxy1);
    expect(fleet(['inventory', '-i', INV, '--host', 'nosuch']).code).toBe(3);
  });

  it('--limit keeps only matching hosts, in every form', () => {
    const doc = JSON.parse(fleet(['inventory', '-i', INV, '--json', '--limit', 'proxies:!hs1']).out);
    expect(Object.keys(doc._meta.hostvars)).toEqual(['proxy1']);
    expect(doc.proxies.hosts).toEqual(['proxy1']);
    expect(doc.homeservers).toBeUndefined();
    const graph = fleet(['inventory', '-i', INV, '--graph', '-l', 'mail']).out;
    expect(graph).toContain('|--mx1');
    expect(graph).not.toContain('hs1');
    const table = fleet(['inventory', '-i', INV, '-l', 'hs2']).out;
    expect(table).toMatch(/^ {2}hs2 /m);
    expect(table).not.toMatch(/^ {2}hs1 /m);
  });

  it('a consumer written for ansible-inventory --list reads fleet inventory --json', () => {
    const consume = (json: string, group: string) => spawnSync(process.execPath, [`${DIR}/ansible-consumer.mjs`, group], { input: json, encoding: 'utf8' }).stdout;
    const ours = fleet(['inventory', '-i', INV, '--json']).out;
    for (const group of ['all', 'matrix', 'proxies', 'mail']) expect(consume(ours, group)).toBe(consume(golden('list.json'), group));
    expect(consume(ours, 'matrix')).toContain('Host mx1\n  HostName 10.0.0.25\n  Port 2200\n');
  });

  it.runIf(hasAnsible)('the goldens are still what the installed ansible-inventory prints', () => {
    expect(ansible(['--list'])).toBe(golden('list.json'));
    expect(ansible(['--graph'])).toBe(golden('graph.txt'));
    expect(ansible(['--graph', '--vars'])).toBe(golden('graph-vars.txt'));
    expect(ansible(['--graph', 'matrix'])).toBe(golden('graph-matrix.txt'));
  });
});
