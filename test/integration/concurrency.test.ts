// Issue 13, "concurrency and interruption", over real SSH: two runs on one host take turns
// (the run lock on the host), a dead run's lock is broken, and Ctrl-C does what the README
// says: once, the tasks in flight finish and report; twice, their outcome is unknown.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TaskEvent } from '../../src/model/events.js';
import { describeLab, labHosts, makeProject, runFleet, sshRun, taskEvents, type Project } from './helpers/index.js';
import { startFleet, waitForFile } from './helpers/background.js';

// Each line edit is a round trip of its own (same file): few, to keep the test cheap.
const LINES = 8;
const LOCK = '/run/lock/fleet.lock';

/** A slow first task (holds the host while the other run arrives), then LINES line edits. */
function linesPlaybook(file: string): string {
  const lines = Array.from({ length: LINES }, (_, i) => `    - name: line ${i}\n      line: {path: ${file}, line: "entry ${i}", create: true}`).join('\n');
  return `- hosts: all
  tasks:
    - name: slow start
      command: {cmd: "sh -c 'touch ${file}.started; sleep 4'"}
      changed_when: false
${lines}
`;
}

/** A long task that leaves markers when it starts and when it finished, then a quick one
 * (that reads the first's result, so it is not sent along in the same round trip). */
const SLEEP_PLAYBOOK = `- hosts: all
  tasks:
    - name: long task
      command: {cmd: "sh -c 'rm -f /root/sleep.finished; touch /root/sleep.started; sleep 5; touch /root/sleep.finished'"}
      register: long
    - name: after the long task
      copy: {content: "x\\n", dest: /root/after-sleep}
      when: long.rc == 0
`;

describeLab('concurrent runs and Ctrl-C', () => {
  let lockHost: string;
  let intHost: string;
  let project: Project;
  let sleepProject: Project;

  beforeAll(() => {
    [lockHost, intHost] = labHosts().map((h) => h.name);
    project = makeProject({ hosts: [lockHost], playbook: linesPlaybook('/root/concurrent.txt') });
    sleepProject = makeProject({ hosts: [intHost], playbook: SLEEP_PLAYBOOK });
  });
  afterAll(() => {
    project?.cleanup();
    sleepProject?.cleanup();
  });

  const args = (p: Project, ...more: string[]) => ['apply', p.playbook, '-i', p.inventoryDir, ...more];
  const changedOf = (run: { recap?: { hosts: Record<string, { changed: number }> } }, host: string) => run.recap!.hosts[host].changed;

  it('two applies at once on one host: the second waits for the first, the file ends right and the changed counts are honest', async () => {
    await sshRun(lockHost, 'rm -f /root/concurrent.txt /root/concurrent.txt.started');
    const first = startFleet(args(project), { cwd: project.dir });
    await waitForFile(lockHost, '/root/concurrent.txt.started');
    const second = await runFleet(args(project), { cwd: project.dir });
    const firstRun = await first.done;
    expect(firstRun.code, firstRun.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    // The second run said why it waited, and whose lock it was.
    const warning = second.events.find((e) => e.type === 'warning' && e.host === lockHost);
    expect(warning, JSON.stringify(second.events)).toMatchObject({ msg: expect.stringMatching(/locked by another fleet run \(.*fleet apply since/) });
    // Every line added once: by one run or the other, never reported twice.
    expect(changedOf(firstRun, lockHost) + changedOf(second, lockHost)).toBe(LINES);
    const file = await sshRun(lockHost, 'cat /root/concurrent.txt');
    expect(file.stdout.trim().split('\n')).toEqual(Array.from({ length: LINES }, (_, i) => `entry ${i}`));
  });

  it('--no-wait: the second apply fails that host at once, naming the lock holder, and changes nothing', async () => {
    await sshRun(lockHost, 'rm -f /root/concurrent.txt /root/concurrent.txt.started');
    const first = startFleet(args(project), { cwd: project.dir });
    await waitForFile(lockHost, '/root/concurrent.txt.started');
    const second = await runFleet(args(project, '--no-wait'), { cwd: project.dir });
    const firstRun = await first.done;
    expect(second.code).toBe(1);
    expect(second.recap!.hosts[lockHost]).toMatchObject({ failed: 1, changed: 0 });
    expect(second.recap!.failures[0]).toMatchObject({ task: 'run lock', msg: expect.stringMatching(/locked by another fleet run .*--no-wait/) });
    expect(firstRun.code, firstRun.stderr).toBe(0);
    expect(changedOf(firstRun, lockHost)).toBe(LINES);
  });

  it('a lock left by a killed run, or from before a reboot, is broken; a live one is not', async () => {
    const first = startFleet(args(project), { cwd: project.dir });
    await waitForFile(lockHost, '/root/concurrent.txt.started');
    await sshRun(lockHost, 'rm -f /root/concurrent.txt.started');
    first.child.kill('SIGKILL');
    await first.done;
    const after = await runFleet(args(project, '--no-wait'), { cwd: project.dir });
    expect(after.code, after.stderr).toBe(0);

    // A lock whose owner is alive (pid 1, its real start time) but recorded under another boot.
    const forge = (boot: string) =>
      `s=$(cat /proc/1/stat); s=\${s##*) }; set -- $s; printf '1 %s %s someone@elsewhere pid 7, fleet apply since then\\n' "\${20}" "${boot}" >${LOCK}`;
    await sshRun(lockHost, forge('$(cat /proc/sys/kernel/random/boot_id)'));
    const held = await runFleet(args(project, '--no-wait'), { cwd: project.dir });
    expect(held.code).toBe(1);
    expect(held.recap!.failures[0].msg).toContain('someone@elsewhere pid 7');
    await sshRun(lockHost, forge('00000000-0000-0000-0000-000000000000'));
    const rebooted = await runFleet(args(project, '--no-wait'), { cwd: project.dir });
    expect(rebooted.code, rebooted.stderr).toBe(0);
  });

  it('Ctrl-C once: the task in flight finishes and is reported changed, nothing new starts, the recap is printed', async () => {
    await sshRun(intHost, 'rm -f /root/sleep.started /root/sleep.finished /root/after-sleep');
    const run = startFleet(args(sleepProject), { cwd: sleepProject.dir });
    await waitForFile(intHost, '/root/sleep.started');
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.recap, r.stderr).toBeDefined();
    expect(r.recap!.interrupted).toBe(true);
    const tasks = taskEvents(r, intHost) as TaskEvent[];
    expect(tasks.map((t) => [t.task, t.status])).toEqual([['long task', 'changed']]);
    expect(r.recap!.hosts[intHost]).toMatchObject({ changed: 1, unreachable: 0, failed: 0 });
    expect((await sshRun(intHost, 'test -e /root/sleep.finished && ! test -e /root/after-sleep')).code).toBe(0);
  });

  it('Ctrl-C twice: the recap says the outcome of the task in flight is unknown', async () => {
    await sshRun(intHost, 'rm -f /root/sleep.started /root/sleep.finished /root/after-sleep');
    const run = startFleet(args(sleepProject), { cwd: sleepProject.dir });
    await waitForFile(intHost, '/root/sleep.started');
    run.child.kill('SIGINT');
    await new Promise((res) => setTimeout(res, 200));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.recap, r.stderr).toBeDefined();
    expect(r.recap!.hosts[intHost]).toMatchObject({ unknown: 1, changed: 0, unreachable: 0 });
    const t = taskEvents(r, intHost).find((e) => e.task === 'long task');
    expect(t).toMatchObject({ status: 'unknown', msg: expect.stringContaining('may or may not have been made') });
    // The next check tells the truth: the copy after it never ran.
    const check = await runFleet(['check', sleepProject.playbook, '-i', sleepProject.inventoryDir], { cwd: sleepProject.dir });
    expect(taskEvents(check, intHost).find((e) => e.task === 'after the long task')?.status).toBe('changed');
  });
});
