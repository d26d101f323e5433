// --step: ask before each task, as ansible-playbook does: (N)o skips it, (y)es runs it,
// (c)ontinue runs it and every task after it without asking. fleet converges a host in one
// pass, so the questions come before the run, in the order the tasks would run; a task
// answered no is left out for every host (its handlers stay, as with --start-at-task).
import { createRequire } from 'node:module';
import { buildProgram } from '../engine/program.js';
import type { Playbook, Task } from '../model/playbook.js';

export interface StepIO {
  /** Next answer line, or undefined at end of input. */
  ask(question: string): Promise<string | undefined>;
}

export function terminalIO(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): StepIO & { close(): void } {
  // Loaded here: only --step reads answers, and loading node:readline was every run's cost.
  const { createInterface } = createRequire(import.meta.url)('node:readline') as typeof import('node:readline');
  const rl = createInterface({ input, terminal: false });
  const lines: string[] = [];
  const waiting: ((s: string | undefined) => void)[] = [];
  let ended = false;
  rl.on('line', (l) => (waiting.length ? waiting.shift()!(l) : lines.push(l)));
  rl.on('close', () => {
    ended = true;
    while (waiting.length) waiting.shift()!(undefined);
  });
  return {
    ask(question) {
      output.write(question);
      if (lines.length) return Promise.resolve(lines.shift());
      if (ended) return Promise.resolve(undefined);
      return new Promise((res) => waiting.push(res));
    },
    close: () => rl.close(),
  };
}

const label = (t: Task): string => (t.role ? `${t.role} : ${t.name}` : t.name);

/** The playbook with the tasks answered "no" left out. */
export async function stepThrough(playbook: Playbook, filter: { tags?: string[]; skipTags?: string[] }, io: StepIO, err: NodeJS.WritableStream): Promise<Playbook> {
  // Per play: a role used by two plays shares its Task objects between them.
  const declined = playbook.plays.map(() => new Set<Task>());
  let mode: 'ask' | 'all' | 'eof' = 'ask';
  for (const [i, play] of playbook.plays.entries()) {
    for (const unit of buildProgram(play, i, filter).units) {
      if (mode === 'all') continue;
      if (mode === 'eof') {
        declined[i].add(unit.task);
        continue;
      }
      for (;;) {
        const answer = await io.ask(`Perform task: ${label(unit.task)} (N)o/(y)es/(c)ontinue: `);
        if (answer === undefined) {
          // End of input: nobody can answer, so nothing more runs without a yes.
          err.write('\n--step: end of input; this task and the rest are skipped\n');
          mode = 'eof';
          declined[i].add(unit.task);
          break;
        }
        const a = answer.trim().toLowerCase();
        if (a === '' || a === 'n' || a === 'no') declined[i].add(unit.task);
        else if (a === 'c' || a === 'continue') mode = 'all';
        else if (a !== 'y' && a !== 'yes') {
          err.write(`--step: answer n, y or c (got '${answer.trim()}')\n`);
          continue;
        }
        break;
      }
    }
  }
  return {
    ...playbook,
    plays: playbook.plays.map((p, i) => {
      const keep = (ts: Task[]) => ts.filter((t) => !declined[i].has(t));
      return { ...p, tasks: keep(p.tasks), roles: p.roles.map((r) => ({ ...r, role: { ...r.role, tasks: keep(r.role.tasks) } })) };
    }),
  };
}
