// `fleet completion bash|zsh|fish`: a script for the shell's rc file. Each TAB asks fleet
// itself (yargs' --get-yargs-completions) for commands and flags, and, where a host pattern
// or host is expected, for the inventory's host and group names.
import type { CommandModule } from 'yargs';
import { loadInventory } from '../../config/index.js';
import { effectiveSettings } from '../context.js';
import type { CommandDoc } from '../spec.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

export const completionDoc: CommandDoc = {
  name: 'completion',
  usage: 'fleet completion bash \\| zsh \\| fish',
  summary: 'a completion script for the shell (commands, flags, and host and group names from the inventory)',
  options: [],
  details: `Install it once:

    fleet completion bash > /etc/bash_completion.d/fleet        # or >> ~/.bashrc
    fleet completion zsh > "\${fpath[1]}/_fleet"                 # or >> ~/.zshrc
    fleet completion fish > ~/.config/fish/completions/fleet.fish

Host patterns (\`fleet run\`, \`fleet facts\`, \`--limit\`, \`fleet hostkeys accept\`) complete
to host and group names, after \`:\`, \`,\`, \`&\` and \`!\` too; \`fleet vars\` to host names.
The inventory is the one \`-i\` names on the line being completed, else the inventory setting.`,
};

// Each script tells fleet which shell asks (SHELL=...), since zsh and fish want
// descriptions in their own format.
const SCRIPTS: Record<Shell, string> = {
  // Words are re-read from the line itself: bash splits at ':' and '&' (COMP_WORDBREAKS),
  // which host patterns use; only the part after the last break is replaced.
  bash: `###-begin-fleet-completions-###
_fleet_completions()
{
    local line="\${COMP_LINE:0:COMP_POINT}" words reply cur keep r
    read -ra words <<< "$line"
    [[ "$line" =~ [[:space:]]$ ]] && words+=("")
    cur="\${words[\${#words[@]}-1]}"
    mapfile -t reply < <(SHELL=bash fleet --get-yargs-completions "\${words[@]}" 2>/dev/null)
    keep="\${cur%"\${COMP_WORDS[COMP_CWORD]}"}"
    COMPREPLY=()
    for r in "\${reply[@]}"; do [[ "$r" == "$cur"* ]] && COMPREPLY+=("\${r#"$keep"}"); done
    return 0
}
complete -o bashdefault -o default -F _fleet_completions fleet
###-end-fleet-completions-###
`,
  zsh: `#compdef fleet
###-begin-fleet-completions-###
_fleet_completions()
{
  local reply
  local si=$IFS
  IFS=$'\\n' reply=($(SHELL=zsh fleet --get-yargs-completions "\${words[@]:0:$CURRENT}" 2>/dev/null))
  IFS=$si
  if [[ \${#reply} -gt 0 ]]; then
    _describe 'values' reply
  else
    _default
  fi
}
if [[ "\${zsh_eval_context[-1]}" == "loadautofunc" ]]; then
  _fleet_completions "$@"
else
  compdef _fleet_completions fleet
fi
###-end-fleet-completions-###
`,
  fish: `###-begin-fleet-completions-###
function __fleet_completions
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    SHELL=fish fleet --get-yargs-completions $words "$current" 2>/dev/null
end
complete -c fleet -f -a '(__fleet_completions)'
###-end-fleet-completions-###
`,
};

export const completionCommand: CommandModule<object, { shell?: string }> = {
  command: 'completion [shell]',
  describe: completionDoc.summary,
  builder: (y) => y.positional('shell', { type: 'string', choices: SHELLS, describe: 'default: from $SHELL' }) as never,
  handler: (args) => {
    const shell = (args.shell ?? SHELLS.find((s) => (process.env.SHELL ?? '').endsWith(s)) ?? 'bash') as Shell;
    process.stdout.write(SCRIPTS[shell]);
  },
};

/** Commands whose first positional is a host pattern, or a host name. */
const PATTERN_POSITIONAL: Record<string, 'pattern' | 'host'> = { run: 'pattern', facts: 'pattern', vars: 'host' };
const PATTERN_FLAGS = ['-l', '--limit'];

type Done = (completions: string[]) => void;

/** yargs' completion hook: inventory names where a pattern or host goes, else yargs' own. */
export function completeWords(current: string, _argv: unknown, defaultCompletion: (cb: (err: unknown, list?: string[]) => void) => void, done: Done): void {
  const all = process.argv.slice(process.argv.indexOf('--get-yargs-completions') + 1);
  const words = all.slice(0, -1).filter((w, i) => !(i === 0 && /(^|\/)fleet(\.m?js)?$/.test(w)));
  const kind = expected(words, current);
  // yargs lists one-letter aliases as `--f`; a shell user types `-f`.
  if (!kind) return defaultCompletion((_err, list) => done((list ?? []).map((c) => c.replace(/^--(\w)(?=$|[:\t])/, '-$1'))));
  const names = inventoryNames(words, kind);
  // In a pattern, complete the part after the last operator: `web:&pro` -> `web:&prod`.
  const prefix = kind === 'pattern' ? (/^.*[:,&!]/.exec(current)?.[0] ?? '') : '';
  const zsh = (process.env.SHELL ?? '').includes('zsh');
  done(names.map((n) => prefix + n).filter((n) => n.startsWith(current)).map((n) => (zsh ? n.replace(/:/g, '\\:') : n)));
}

function expected(words: string[], current: string): 'pattern' | 'host' | 'group' | undefined {
  const prev = words[words.length - 1];
  if (PATTERN_FLAGS.includes(prev)) return 'pattern';
  if (prev === '--host') return 'host';
  if (current.startsWith('-')) return undefined;
  const positionals = positionalWords(words);
  const [command, ...rest] = positionals;
  if (command === 'hostkeys' && rest[0] === 'accept') return 'pattern';
  if (command === 'inventory' && rest.length === 0 && words.includes('--graph')) return 'group';
  const kind = command ? PATTERN_POSITIONAL[command] : undefined;
  if (kind && rest.length === 0 && !words.includes('--')) return kind;
  return undefined;
}

/** The words that are not flags or flag values (a flag's value is the word after it unless
 * the flag is a known boolean). */
function positionalWords(words: string[]): string[] {
  const takesValue = new Set(['-i', '--inventory', '-l', '--limit', '-f', '--forks', '-e', '--extra-vars', '-t', '--tags', '--skip-tags', '--roles-path', '--log-file', '--color', '--host']);
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--') break;
    if (w.startsWith('-')) {
      if (takesValue.has(w)) i++;
      continue;
    }
    out.push(w);
  }
  return out;
}

function inventoryNames(words: string[], kind: 'pattern' | 'host' | 'group'): string[] {
  const given: string[] = [];
  words.forEach((w, i) => {
    if ((w === '-i' || w === '--inventory') && words[i + 1]) given.push(words[i + 1]);
    else if (w.startsWith('--inventory=')) given.push(w.slice('--inventory='.length));
  });
  try {
    const inv = loadInventory(given.length ? given : effectiveSettings({}).value<string[]>('inventory'));
    const hosts = [...inv.hosts.keys()];
    const groups = [...inv.groups.keys()];
    return kind === 'host' ? hosts : kind === 'group' ? groups : [...groups, ...hosts];
  } catch {
    // No inventory here, or a broken one: complete nothing rather than print errors into a prompt.
    return [];
  }
}
