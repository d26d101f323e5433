// --step's questions and the playbook it leaves: answers are read in task order, per play.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stepThrough, terminalIO, type StepIO } from '../../../src/cli/step.js';
import { play, playbook, role, task } from '../engine/fixtures.js';

function scripted(answers: string[]): StepIO & { asked: string[] } {
  const asked: string[] = [];
  return { asked, ask: async (q) => (asked.push(q), answers.shift()) };
}

const names = (pb: ReturnType<typeof playbook>) => pb.plays.map((p) => [...p.roles.flatMap((r) => r.role.tasks), ...p.tasks].map((t) => t.name));

describe('--step', () => {
  const shared = role('base', [task('motd', 'copy', {}, { role: 'base' }), task('tools', 'package', {}, { role: 'base' })]);
  const pb = () =>
    playbook([
      play([task('reload', 'command', {}, { role: '' })], { roles: [{ role: shared, params: {}, tags: [] } as never] }),
      play([], { roles: [{ role: shared, params: {}, tags: [] } as never] }),
    ]);

  it('asks for every task in run order; n leaves it out of that play only, y keeps it', async () => {
    const io = scripted(['n', 'y', 'yes', 'y', '']);
    const err = new PassThrough();
    const out = await stepThrough(pb(), {}, io, err);
    expect(io.asked).toEqual(['base : motd', 'base : tools', 'reload', 'base : motd', 'base : tools'].map((n) => `Perform task: ${n} (N)o/(y)es/(c)ontinue: `));
    expect(names(out)).toEqual([['tools', 'reload'], ['motd']]);
  });

  it('c runs everything after without asking; an unknown answer is asked again', async () => {
    const io = scripted(['what', 'c']);
    const err = new PassThrough();
    const out = await stepThrough(pb(), {}, io, err);
    expect(io.asked).toHaveLength(2);
    expect(String(err.read())).toContain("answer n, y or c (got 'what')");
    expect(names(out)).toEqual([['motd', 'tools', 'reload'], ['motd', 'tools']]);
  });

  it('end of input skips the task asked and every one after it', async () => {
    const io = scripted(['y']);
    const err = new PassThrough();
    const out = await stepThrough(pb(), {}, io, err);
    expect(io.asked).toHaveLength(2);
    expect(names(out)).toEqual([['motd'], []]);
    expect(String(err.read())).toContain('end of input');
  });

  it('reads the answers a line each from its input, the question on its output, then nothing at the end', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const io = terminalIO(input, output);
    input.write('y\nn\n');
    expect(await io.ask('first? ')).toBe('y');
    expect(await io.ask('second? ')).toBe('n');
    const third = io.ask('third? ');
    input.end('c\n');
    expect(await third).toBe('c');
    expect(await io.ask('fourth? ')).toBeUndefined();
    expect(String(output.read())).toBe('first? second? third? fourth? ');
    io.close();
  });
});
