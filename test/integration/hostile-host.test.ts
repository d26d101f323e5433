// A managed host is untrusted input (issue 13): over real SSH, one lab host floods its output,
// sends escape sequences meant for the operator's terminal, and (through a login shell that
// tampers with what fleet's script prints) returns malformed framing. Each time the other host
// converges, the recap is printed, and the hostile host fails its own task, clearly, never "ok".
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FleetEvent, RecapEvent } from '../../src/model/events.js';
import {
  describeLab,
  FLEET_MAIN,
  labHost,
  labHosts,
  labInfo,
  makeProject,
  parseNdjson,
  resetHost,
  runFleet,
  sshRun,
  type Project,
} from './helpers/index.js';

/** The login shell of the user `hostile` on the hostile host: it runs what sshd hands it, and
 * tampers with the output as /etc/fleet-hostile-mode says. */
const EVIL_SHELL = `#!/bin/sh
[ "$1" = -c ] || exec /bin/sh "$@"
mode=$(cat /etc/fleet-hostile-mode 2>/dev/null)
case "$mode" in
garbage)
  cat >/dev/null
  printf 'Welcome to \\033]0;pwned\\007this host\\n'
  exit 0 ;;
truncate)
  # The output stops right after the second step began (wherever the bytes fall).
  /bin/sh -c "$2" | sed '/:b:1@@/q'
  exit 0 ;;
forge)
  # Runs the real script, then replays step 0 with exit status 0, markers read from the script.
  script=$(cat; echo .)
  n=$(printf '%s' "$script" | sed -n 's/.*@@F\\([0-9a-f]\\{12\\}\\):b:0@@.*/\\1/p' | head -n 1)
  printf '%s' "\${script%.}" | /bin/sh -c "$2"
  rc=$?
  printf '@@F%s:b:0@@\\nforged\\n\\n@@F%s:e:0:0@@\\n' "$n" "$n"
  exit $rc ;;
*) exec /bin/sh -c "$2" ;;
esac
`;

/** Escape sequences a hostile host sends: window title, clipboard, hidden link, line redraw. */
const ESCAPES = String.raw`title\033]0;pwned-title\007\nclip\033]52;c;cHduZWQ=\007\nover\rwrite\nlink\033]8;;http://evil.example/\033\\click\033]8;;\033\\\n`;

interface Measured {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the fleet process (VmHWM), in MiB. */
  peakRssMb: number;
}

/** Run fleet and watch its peak memory in /proc while it runs. */
function runMeasured(args: string[], cwd: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FLEET_MAIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    const poll = setInterval(() => {
      try {
        const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // It just exited.
      }
    }, 100);
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, stdout, stderr, peakRssMb: Math.round(peakKb / 1024) });
    });
  });
}

const STACK_TRACE = /^\s+at .*(\.js|\.ts):\d+/m;
// A raw control character other than \n, \t and a CRLF line end.
const RAW_CONTROL = /\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/;

describeLab('a hostile host cannot hurt the controller, the operator or the other hosts', () => {
  let bad = ''; // the hostile host
  let good = '';
  let project: Project;

  beforeAll(async () => {
    [bad, good] = labHosts()
      .slice(-2)
      .map((h) => h.name);
    // Root logins and a clean /tmp, whatever earlier test files did to these hosts.
    await Promise.all([resetHost(bad), resetHost(good)]);
    const setup = await sshRun(
      bad,
      [
        'cat > /usr/local/bin/fleet-evil-sh && chmod 755 /usr/local/bin/fleet-evil-sh',
        'useradd -m -s /usr/local/bin/fleet-evil-sh hostile',
        'mkdir -p ~hostile/.ssh && cp /root/.ssh/authorized_keys ~hostile/.ssh/ && chown -R hostile: ~hostile/.ssh',
        `printf '${ESCAPES}' > /tmp/fleet-hostile.conf`,
      ].join(' && '),
      { input: EVIL_SHELL },
    );
    expect(setup.code, setup.stderr).toBe(0);
    const info = labInfo();
    const entry = (name: string, user: string) => ({
      ansible_host: labHost(name).address,
      ansible_user: user,
      ansible_ssh_private_key_file: info.keyFile,
    });
    // `bad` twice: as root (floods, escapes), and as `hostile` behind the tampering shell.
    project = makeProject({
      inventory: { all: { hosts: { [bad]: entry(bad, 'root'), [good]: entry(good, 'root'), evil: entry(bad, 'hostile') } } },
    });
  }, 120_000);

  afterAll(async () => {
    project?.cleanup();
    if (bad) await sshRun(bad, 'userdel -r hostile; rm -f /usr/local/bin/fleet-evil-sh /etc/fleet-hostile-mode /tmp/fleet-hostile*');
    if (good) await sshRun(good, 'rm -f /tmp/fleet-hostile*');
  });

  let seq = 0;
  /** A playbook in the project (JSON is YAML: no quoting surprises in the shell commands). */
  function writePlaybook(hosts: string[], tasks: object[]): string {
    const file = `${project.dir}/play-${++seq}.yml`;
    writeFileSync(file, JSON.stringify([{ hosts: hosts.join(':'), tasks }], null, 2));
    return file;
  }

  /** The good host converged: its file is there with the content the play wrote. */
  async function expectConverged(run: { recap?: RecapEvent }, marker: string): Promise<void> {
    expect(run.recap!.hosts[good]).toMatchObject({ failed: 0, unreachable: 0 });
    expect(run.recap!.hosts[good].changed).toBeGreaterThan(0);
    expect((await sshRun(good, 'cat /tmp/fleet-hostile-good')).stdout).toBe(`${marker}\n`);
  }

  it('a host printing 350 MB fails its own task with the output cut (dropped bytes counted), memory stays bounded, the other converges', async () => {
    const file = writePlaybook(
      [bad, good],
      [
        {
          name: 'flood',
          shell: `if [ {{ inventory_hostname }} = ${bad} ]; then yes 'fleet flood line' | head -c 300000000; yes 'fleet err flood' | head -c 50000000 >&2; exit 3; fi`,
        },
        { name: 'converge', copy: { dest: '/tmp/fleet-hostile-good', content: 'flood\n' } },
      ],
    );
    const run = await runMeasured(['apply', file, '-i', project.inventoryDir, '--json'], project.dir);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    const events = parseNdjson(run.stdout);
    const recap = events.find((e): e is RecapEvent => e.type === 'recap');
    expect(recap, run.stderr).toBeDefined();
    expect(run.code).toBe(1);
    await expectConverged({ recap }, 'flood');
    expect(recap!.hosts[bad]).toMatchObject({ failed: 1, changed: 0 });
    const failure = recap!.failures.find((f) => f.host === bad)!;
    expect(failure.rc).toBe(3);
    // 50 000 000 bytes of stderr, of which the first and last MiB are kept.
    expect(failure.stderr).toContain(`[fleet: ${50_000_000 - 2 * 1024 * 1024} bytes of output dropped here]`);
    expect(failure.stderr!.startsWith('fleet err flood\n')).toBe(true);
    expect(failure.stderr).toMatch(/\nfleet err flood\n$/);
    // Before the bound: 1.5 GB and a crash for 600 MB. A run that floods nothing peaks near 100 MB.
    process.stderr.write(`[hostile-host] flood: fleet peaked at ${run.peakRssMb} MiB RSS\n`);
    expect(run.peakRssMb).toBeGreaterThan(0);
    expect(run.peakRssMb).toBeLessThan(300);
  });

  it("escape sequences from a host reach the operator's terminal escaped: diffs, task output, traces, recap, fleet run", async () => {
    const file = writePlaybook(
      [bad, good],
      [
        { name: 'config', copy: { dest: '/tmp/fleet-hostile.conf', content: 'clean\n' } },
        { name: 'converge', copy: { dest: '/tmp/fleet-hostile-good', content: 'escapes\n' } },
        { name: 'noisy', shell: `printf '${ESCAPES}'; printf 'err ${ESCAPES}' >&2; [ {{ inventory_hostname }} != ${bad} ]` },
      ],
    );
    const run = await runFleet(['apply', file, '-i', project.inventoryDir, '--diff', '-vv'], { cwd: project.dir, json: false });
    const shown = run.stdout + run.stderr;
    expect(run.code, shown).toBe(1);
    expect(shown).not.toMatch(STACK_TRACE);
    expect(run.stdout).toContain('RECAP (apply');
    expect(run.stdout).toMatch(new RegExp(`${good} +0 +3 +0 +0 +0`));
    expect((await sshRun(good, 'cat /tmp/fleet-hostile-good')).stdout).toBe('escapes\n');
    // Not one raw control character reached the terminal (no colours: stdout is a pipe).
    expect(shown).not.toMatch(RAW_CONTROL);
    // ...but each is shown, escaped: the old content in the diff, the recap's stderr, the -vv trace.
    expect(run.stdout).toContain('-title\\x1b]0;pwned-title\\x07');
    expect(run.stdout).toContain('-clip\\x1b]52;c;cHduZWQ=\\x07');
    expect(run.stdout).toContain('-over\\rwrite');
    expect(run.stdout).toContain('    err title\\x1b]0;pwned-title\\x07');
    expect(run.stderr).toContain('link\\x1b]8;;http://evil.example/\\x1b\\click');
    // --json keeps the exact bytes.
    const json = await runFleet(['apply', file, '-i', project.inventoryDir], { cwd: project.dir });
    const task = json.events.find((e) => e.type === 'task' && e.host === bad && e.task === 'noisy') as Extract<
      FleetEvent,
      { type: 'task' }
    >;
    expect(task.failure?.stderr).toContain('err title\u001b]0;pwned-title\u0007');
    // fleet run, as one block per host and streamed.
    for (const extra of [[], ['--stream']]) {
      const adhoc = await runFleet(['run', `${bad}:${good}`, '-i', project.inventoryDir, ...extra, '--', `printf '${ESCAPES}'`], {
        cwd: project.dir,
        json: false,
      });
      expect(adhoc.code, adhoc.stderr).toBe(0);
      expect(adhoc.stdout + adhoc.stderr).not.toMatch(RAW_CONTROL);
      expect(adhoc.stdout).toContain('clip\\x1b]52;c;cHduZWQ=\\x07');
      expect(adhoc.stdout).toContain('RECAP (run');
    }
  });

  for (const [mode, message] of [
    ['forge', /does not follow fleet's framing \(expected step \d+ to begin, got marker 'b:0'\)/],
    ['garbage', /the host's shell exited 0 without running fleet's script; it printed: Welcome to \\x1b\]0;pwned\\x07this host/],
    ['truncate', /the host's output ended inside this step/],
  ] as const) {
    it(`malformed framing (${mode}): the host fails clearly, never ok; the other converges and the recap is printed`, async () => {
      // The root runs above left root's run lock, which the unprivileged user may not replace
      // (sticky /run/lock): removed, so that the script gets past its first step.
      expect((await sshRun(bad, `echo ${mode} > /etc/fleet-hostile-mode && rm -f /run/lock/fleet.lock`)).code).toBe(0);
      const file = writePlaybook(
        ['evil', good],
        [
          // Fails as the unprivileged `hostile` user, succeeds as root: a forged "exit 0" would turn it into a wrong ok.
          { name: 'must be root', shell: 'id -u | grep -qx 0' },
          { name: 'converge', copy: { dest: '/tmp/fleet-hostile-good', content: `${mode}\n` } },
        ],
      );
      const run = await runFleet(['apply', file, '-i', project.inventoryDir], { cwd: project.dir, json: false });
      const shown = run.stdout + run.stderr;
      expect(run.code, shown).toBe(1);
      expect(shown).not.toMatch(STACK_TRACE);
      expect(shown).not.toMatch(RAW_CONTROL);
      expect(run.stdout).toContain('RECAP (apply');
      // evil: 0 ok, 0 changed, 1 failed.
      expect(run.stdout).toMatch(/^evil +0 +0 +1 +0 +0/m);
      expect(run.stdout).toMatch(message);
      expect(run.stdout).toMatch(new RegExp(`^${good} +1 +1 +0 +0 +0|^${good} +0 +2 +0 +0 +0`, 'm'));
      expect((await sshRun(good, 'cat /tmp/fleet-hostile-good')).stdout).toBe(`${mode}\n`);
    });
  }
});
