// The benchmark's quick mode (N = 2, one run, fleet and ansible-playbook), run in CI so the
// benchmark cannot rot: it must print the table with both tools, fleet's no-change run must
// cost exactly one round trip per host, and both tools must leave the hosts in the same state.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sample } from '../../bench/runner.js';
import { describeLab, labInfo, labHosts, REPO_ROOT, sshRun } from './helpers/index.js';

/** Runs node asynchronously (the quick mode takes minutes; the test worker must stay responsive). */
function node(args: string[], timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describeLab('bench quick mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-quick-'));
  const jsonFile = join(dir, 'quick.json');
  let run: { status: number | null; stdout: string; stderr: string };
  let samples: Sample[];

  beforeAll(async () => {
    const tsc = await node([join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'bench/tsconfig.json'], 300_000);
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    const info = labInfo();
    // The harness may use another lab instance (FLEET_LAB_NAME): the bench must use the same.
    const lab = info.name === 'lab' ? [] : ['--lab', `${info.name}:${info.subnet}`];
    run = await node([join(REPO_ROOT, 'dist-bench/bench/main.js'), '--quick', '--json', jsonFile, ...lab], 1_700_000);
    samples = (JSON.parse(readFileSync(jsonFile, 'utf8')) as { samples: Sample[] }).samples;
  }, 1_800_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 and prints the table with both tools for both phases', () => {
    expect(run.status, `${run.stdout}\n${run.stderr.slice(-3000)}`).toBe(0);
    for (const tool of ['fleet', 'ansible']) {
      for (const phase of ['first', 'no-change']) expect(run.stdout).toMatch(new RegExp(`^${tool}\\s+2\\s+${phase}\\s+\\d`, 'm'));
    }
    expect(run.stdout).toMatch(/^floor\s+2\s+connect\+probe/m);
  });

  it("fleet's no-change run costs exactly one round trip and no change per host", () => {
    const nc = samples.filter((s) => s.tool === 'fleet' && s.phase === 'no-change');
    expect(nc).toHaveLength(1);
    expect(nc[0].rtPerHost).toEqual([1, 1]);
    expect(nc[0].changedPerHost).toEqual([0, 0]);
    const first = samples.find((s) => s.tool === 'fleet' && s.phase === 'first')!;
    expect(first.changedPerHost.every((c) => c > 0)).toBe(true);
    const ans = samples.find((s) => s.tool === 'ansible' && s.phase === 'no-change')!;
    expect(ans.changedPerHost).toEqual([0, 0]);
    expect(ans.rtPerHost.every((r) => r > 1)).toBe(true);
  });

  it('both tools converge the hosts to the same files', async () => {
    const states = samples.filter((s) => s.state !== undefined);
    expect(states.map((s) => s.tool).sort()).toEqual(['ansible', 'fleet']);
    expect(states[0].state).toContain('/etc/bench/t5.conf regular file 644 root:root');
    expect(states[0].state).not.toContain('missing');
    expect(states[0].state).toBe(states[1].state);
    // And read a couple of files back over ssh, from the last tool's run.
    for (const h of labHosts().slice(0, 2)) {
      const t = await sshRun(h.name, 'cat /etc/bench/t1.conf /etc/bench/l3.conf; stat -c %a /opt/bench/d2; test -e /var/tmp/bench-handler && echo handler-ran');
      expect(t.stdout).toBe('# managed by the bench workload (template 1)\ngreeting = hello\nowner = fleet-bench\nindex = 1\nkey3=value3\n750\nhandler-ran\n');
    }
  });
});
