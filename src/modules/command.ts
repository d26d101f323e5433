// command: run a program directly (argv list, or a string split into words without a shell).
import type { Module } from '../model/module.js';
import { paramsObject, rawSchema, type Params } from '../model/params.js';
import { q, qa } from './lib/sh.js';
import { runProps, runPrefix, probeRun, batchRun, planRun, runResult, runTraits } from './lib/run.js';

const schema = paramsObject({
  cmd: rawSchema<string | string[]>({ anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', minItems: 1, items: { type: 'string' } }] }),
  ...runProps,
});
export type CommandParams = Params<typeof schema>;

/** Split a command string into words the way Ansible's command module does (shlex-like). */
export function splitWords(cmd: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (c === "'") {
      const j = cmd.indexOf("'", i + 1);
      if (j < 0) throw new Error(`command ${JSON.stringify(cmd)}: unterminated ' quote`);
      cur += cmd.slice(i + 1, j);
      i = j;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < cmd.length && cmd[j] !== '"'; j++) {
        if (cmd[j] === '\\' && j + 1 < cmd.length && '"\\$`'.includes(cmd[j + 1])) j++;
        cur += cmd[j];
      }
      if (j >= cmd.length) throw new Error(`command ${JSON.stringify(cmd)}: unterminated " quote`);
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < cmd.length) {
      cur += cmd[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  if (!words.length) throw new Error('command: empty cmd');
  return words;
}

function argv(p: CommandParams): string[] {
  return typeof p.cmd === 'string' ? splitWords(p.cmd) : p.cmd;
}

function display(p: CommandParams): string {
  return typeof p.cmd === 'string' ? p.cmd : qa(p.cmd);
}

export const command: Module<typeof schema> = {
  name: 'command',
  schema,
  traits: runTraits,
  probe: (p) => probeRun(p),
  batchProbe: (p) => batchRun(p),
  plan: (p, out) => planRun(p, out, display(p)),
  // exec: the command replaces the subshell, so its exit status is the fragment's.
  apply: (p) => `${runPrefix(p)}exec ${argv(p).map(q).join(' ')}\n`,
  result: (p, o) => runResult(display(p), o),
  resources: (p) => (p.creates ? [`file:${p.creates}`] : []),
};
