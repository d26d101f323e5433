import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sysctl } from '../../../src/modules/sysctl.js';
import { params, planOf, converge, runProbe, tempDir, isValid } from './helpers.js';

let t: { dir: string; cleanup: () => void };
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

const live = (name: string) => readFileSync('/proc/sys/' + name.replace(/\./g, '/'), 'utf8').trim().split(/\s+/).join(' ');

describe('sysctl', () => {
  it('reads the live value with a builtin and normalises tabs', () => {
    const p = params(sysctl, { name: 'net.ipv4.ip_local_port_range', value: live('net.ipv4.ip_local_port_range'), sysctl_file: join(t.dir, 'f.conf') });
    const out = runProbe(sysctl, p);
    expect(out).toContain(`live=${live('net.ipv4.ip_local_port_range').replace(' ', '\t')}`);
    const plan = sysctl.plan(p, out);
    // Only the file is missing; the live value already matches.
    expect(plan).toMatchObject({ kind: 'change', summary: `create ${join(t.dir, 'f.conf')}` });
  });

  it('writes the file line, replacing an existing setting (file part, no reload here)', () => {
    const f = join(t.dir, '99-fleet.conf');
    writeFileSync(f, '# ours\nnet/ipv4/ip_forward=0\nvm.swappiness = 10\n');
    const p = params(sysctl, { name: 'net.ipv4.ip_forward', value: 1, sysctl_file: f, reload: false });
    const plan = converge(sysctl, p);
    expect(plan.diff).toContain('-net/ipv4/ip_forward=0');
    expect(plan.diff).toContain('+net.ipv4.ip_forward = 1');
    expect(readFileSync(f, 'utf8')).toBe('# ours\nnet.ipv4.ip_forward = 1\nvm.swappiness = 10\n');
    converge(sysctl, params(sysctl, { name: 'vm.swappiness', state: 'absent', sysctl_file: f }));
    expect(readFileSync(f, 'utf8')).toBe('# ours\nnet.ipv4.ip_forward = 1\n');
  });

  it('plans a live change from captured probe output and applies it with sysctl -w', () => {
    const p = params(sysctl, { name: 'net.ipv4.ip_forward', value: '1' });
    const out = 'live=0 \ntype=file\nmode=644\nuid=0\ngid=0\nowner=root\ngroup=root\nsize=24\n' +
      `content_b64=${Buffer.from('net.ipv4.ip_forward = 1\n').toString('base64')}\nparent=1\n`;
    const plan = sysctl.plan(p, out);
    expect(plan).toEqual({ kind: 'change', summary: 'net.ipv4.ip_forward 0 -> 1', diff: undefined, data: { content: undefined, live: true } });
    expect(sysctl.apply(p, plan as never)).toBe(`sysctl -q -w net.ipv4.ip_forward=1\n`);
    expect(sysctl.plan(p, out.replace('live=0', 'live=1'))).toEqual({ kind: 'ok' });
  });

  it('is blocked for an unknown kernel parameter', () => {
    const p = params(sysctl, { name: 'net.fleet.nope', value: 1, sysctl_file: join(t.dir, 'x.conf') });
    expect(planOf(sysctl, p)).toEqual({ kind: 'blocked', reason: 'kernel parameter net.fleet.nope does not exist on this host' });
  });

  it('schema: present needs a value', () => {
    expect(isValid(sysctl, { name: 'vm.swappiness' })).toBe(false);
    expect(isValid(sysctl, { name: 'vm.swappiness', state: 'absent' })).toBe(true);
    expect(isValid(sysctl, { name: 'vm.swappiness', value: 10, reload: 'yes' })).toBe(false);
  });
});
